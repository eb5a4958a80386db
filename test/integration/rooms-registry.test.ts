/**
 * The room registry (server/features/rooms/registry.ts) through Parley's socket commands against a real Prosody
 * with its MUC component: joins, occupants coalesced to the tabs, refusals (nickname, password, members-only), kick,
 * a room that never answers, hostile stanzas, rejoin after the XMPP connection drops and after a Parley restart,
 * self-ping finding a room that forgot us. A plain XMPP client ("owner") creates and runs the rooms.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { TestStack, type LoggedIn } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { freePort } from '../harness/ports.js';
import { startParley, type Parley } from '../../server/app/parley.js';
import { createLogger } from '../../server/app/logger.js';
import { HttpBrowser } from '../harness/parley.js';
import { admin, buildAdminSet, buildConfigGet, buildConfigSubmit, buildJoin, parseConfigForm, parseOccupantPresence } from '../../server/stanza/muc.js';
import { buildSubmitForm, type FieldAnswer } from '../../server/stanza/data-form.js';
import type { OccupantsDeltaDTO } from '../../server/realtime/contract/rooms.js';
import type { AccountSession } from '../../server/xmpp/account-session.js';

let stack: TestStack;
let owner: XmppPeer;
let muc: string;
const peers: XmppPeer[] = [];

before(async () => {
  stack = await TestStack.start({ prosody: { muc: true }, env: { PARLEY_SOCKET_RATE: '1000', PARLEY_SOCKET_BURST: '1000' } });
  muc = stack.prosody.mucDomain;
  const u = await stack.newUser('owner');
  owner = await XmppPeer.login(stack.server, u.jid, u.password);
});
after(async () => {
  for (const p of peers) await p.stop().catch(() => undefined);
  await owner?.stop().catch(() => undefined);
  await stack?.close();
});

const sessionOf = (a: LoggedIn, parley: Parley = stack.parley): AccountSession => parley.sessions.sessions().find((s) => s.accountId === a.accountId)!;
const roomName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@${muc}`;

async function until<T>(what: string, get: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

/** Waits for a stanza at a raw peer. */
function stanzaAt(peer: XmppPeer, test: (el: Element) => boolean, what: string, ms = 10_000): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what}`)), ms);
    const on = (el: Element) => {
      if (!test(el)) return;
      clearTimeout(timer);
      peer.conn.off('stanza', on);
      resolve(el);
    };
    peer.conn.on('stanza', on);
  });
}

/** The owner creates a room (joins as Owner) and configures it with `answers`. */
async function ownRoom(prefix: string, answers: Record<string, FieldAnswer> = {}): Promise<string> {
  const room = roomName(prefix);
  const self = stanzaAt(owner, (el) => el.name === 'presence' && el.attrs.from === `${room}/Owner`, 'owner self-presence');
  await owner.sendRaw(buildJoin({ room, nick: 'Owner', history: { kind: 'none' } })!);
  await self;
  const form = parseConfigForm(await owner.conn.iq(buildConfigGet(room)!));
  assert.ok(form.ok);
  const submit = buildSubmitForm(form.form, answers);
  assert.ok(submit.ok);
  assert.equal((await owner.conn.iq(buildConfigSubmit(room, submit.element)!)).attrs.type, 'result');
  return room;
}

test('two accounts join a room: self-presence, occupants (roomOccupants and deltas), nickname conflict with a suggestion, leave, hello, store', async () => {
  const alice = await stack.loggedIn('ra');
  const bob = await stack.loggedIn('rb');
  const carol = await stack.loggedIn('rc');
  const room = roomName('lobby');

  const a = await alice.tab.command('roomJoin', { room, nick: 'Alice', bookmark: false });
  assert.equal(a.room.state, 'joined');
  assert.equal(a.room.affiliation, 'owner', 'created by the join (instant room)');
  assert.equal(a.room.nick, 'Alice');
  const b = await bob.tab.command('roomJoin', { room, nick: 'Bob', bookmark: false });
  assert.equal(b.room.state, 'joined');
  assert.equal(b.room.affiliation, 'none');
  await alice.tab.waitFor('occupants', (d) => d.room === room && d.present.some((o) => o.nick === 'Bob') && d.joined.nicks.includes('Bob'));
  const occ = await alice.tab.command('roomOccupants', { room });
  assert.deepEqual(occ.occupants.map((o) => o.nick).sort(), ['Alice', 'Bob']);
  assert.equal(occ.occupants.find((o) => o.nick === 'Bob')?.jid, bob.jid, 'the owner sees real JIDs');

  // Carol asks for Alice's nickname: refused, with a free one offered; the room is 'left' with that reason.
  const c = await carol.tab.command('roomJoin', { room, nick: 'Alice', bookmark: false });
  assert.equal(c.room.state, 'left');
  assert.equal(c.room.error?.reason, 'nickname-in-use');
  assert.equal(c.room.error?.suggestion, 'Alice_');
  assert.equal((await carol.tab.command('roomJoin', { room, nick: c.room.error!.suggestion!, bookmark: false })).room.state, 'joined');

  // Presence from a room never reaches the roster's tracker.
  assert.equal(sessionOf(alice).presence.all().some((p) => p.jid === room), false);

  // Stored as wanted, and in a new tab's hello with the room's kind.
  await until('stored', async () => (await stack.parley.stores.rooms.list(alice.accountId)).find((r) => r.jid === room && r.joined && r.nick === 'Alice'));
  const tab2 = alice.openTab();
  const hello = await tab2.waitFor('hello');
  assert.equal(hello.rooms.find((r) => r.jid === room)?.state, 'joined');

  // Bob leaves (and forgets): Alice's tab hears he is gone; Bob's tabs drop the room; his row is gone.
  await bob.tab.command('roomLeave', { room, forget: true });
  await bob.tab.waitFor('roomRemoved', (e) => e.jid === room);
  await alice.tab.waitFor('occupants', (d) => d.room === room && d.gone.includes('Bob') && d.left.nicks.includes('Bob'));
  assert.equal((await stack.parley.stores.rooms.list(bob.accountId)).length, 0);
  assert.equal(sessionOf(bob).rooms.dto(room), undefined);

  // Rows of a room conversation and of a MUC-PM (stored by the room messages part; here by hand): kinds and unread in the hello.
  for (const peer of [room, `${room}/Carl`]) {
    await stack.parley.db.pool.query(
      `INSERT INTO "Message" ("accountId", peer, direction, "fromJid", "toJid", type, body, stamp, state) VALUES ($1, $2, 'in', $3, $4, $5, 'hi', now(), 'received')`,
      [alice.accountId, peer, `${room}/Carl`, alice.jid, peer === room ? 'groupchat' : 'chat'],
    );
  }
  const hello2 = await alice.openTab().waitFor('hello');
  assert.equal(hello2.conversations.find((x) => x.peer === room)?.kind, 'room');
  assert.equal(hello2.conversations.find((x) => x.peer === `${room}/Carl`)?.kind, 'pm');
  assert.equal(hello2.rooms.find((r) => r.jid === room)?.unread, 1);

  // Nickname change, then the subject: the room's subject message is kept on the room and told to the tabs.
  assert.equal((await alice.tab.command('roomNick', { room, nick: 'Alicia' })).room.nick, 'Alicia');
  await alice.tab.command('roomSubject', { room, subject: 'Today: <b>cake</b>' });
  const subj = await alice.tab.waitFor('room', (e) => e.room.jid === room && e.room.subject === 'Today: <b>cake</b>');
  assert.equal(subj.room.subjectBy, 'Alicia');
  await carol.tab.waitFor('room', (e) => e.room.jid === room && e.room.subject === 'Today: <b>cake</b>');

  // Our presence follows us into the room: Carol's tab sees Alicia busy.
  await alice.tab.command('setPresence', { show: 'dnd', status: 'baking' });
  await carol.tab.waitFor('occupants', (d) => d.room === room && d.present.some((o) => o.nick === 'Alicia' && o.show === 'dnd' && o.status === 'baking'));
});

test('RoomStore: upsert, list per account, remove; bad account ids read nothing', async () => {
  const a = await stack.loggedIn('rstore');
  const b = await stack.loggedIn('rstore');
  const store = stack.parley.stores.rooms;
  const row = { jid: `s-${randomUUID().slice(0, 6)}@${muc}`, nick: 'N', name: 'Name <i>', subject: null, subjectBy: null, joined: true, bookmarked: false, autojoin: false, lastError: null };
  await store.save(a.accountId, row);
  await store.save(a.accountId, { ...row, nick: 'M', joined: false, lastError: { reason: 'kicked', text: 'x', suggestion: null } });
  assert.deepEqual(await store.list(a.accountId), [{ ...row, nick: 'M', joined: false, lastError: { reason: 'kicked', text: 'x', suggestion: null } }]);
  assert.deepEqual(await store.list(b.accountId), []);
  assert.deepEqual(await store.list('not-a-number'), []);
  await store.remove(b.accountId, row.jid);
  assert.equal((await store.list(a.accountId)).length, 1, "another account's remove touches nothing");
  await store.remove(a.accountId, row.jid);
  assert.deepEqual(await store.list(a.accountId), []);
});

test('discovery: the MUC service, public rooms filtered by name, room info', async () => {
  const alice = await stack.loggedIn('rdisc');
  const tag = randomUUID().slice(0, 6);
  const room = await ownRoom('public', { 'muc#roomconfig_roomname': `Cake club ${tag}`, 'muc#roomconfig_publicroom': true, 'muc#roomconfig_persistentroom': true });
  await ownRoom('hidden', { 'muc#roomconfig_roomname': `Cake hidden ${tag}`, 'muc#roomconfig_publicroom': false });
  assert.deepEqual((await alice.tab.command('roomServices', {})).services, [muc]);
  const found = await alice.tab.command('roomBrowse', { filter: `CAKE CLUB ${tag}` });
  assert.equal(found.service, muc);
  assert.deepEqual(found.rooms.map((r) => r.jid), [room]);
  assert.equal(found.next, null);
  assert.deepEqual((await alice.tab.command('roomBrowse', { filter: `hidden ${tag}` })).rooms, []);
  const info = await alice.tab.command('roomInfo', { room });
  assert.equal(info.name, `Cake club ${tag}`);
  assert.equal(info.features.persistent, true);
  assert.equal(info.features.public, true);
  assert.equal(info.occupants, 1);
  assert.equal(info.omemo.allowed, false);
  assert.equal((await alice.tab.rawCommand('roomInfo', { room: `nosuch-${tag}@${muc}` })).ok, false);
});

test('occupant presences are coalesced: 10 joins at once reach a tab as a few deltas, at least a window apart', async () => {
  const alice = await stack.loggedIn('rco');
  const room = roomName('burst');
  await alice.tab.command('roomJoin', { room, nick: 'Alice', bookmark: false });
  const deltas: { at: number; d: OccupantsDeltaDTO }[] = [];
  alice.tab.socket.on('occupants', (d) => d.room === room && deltas.push({ at: Date.now(), d }));
  const crowd = await Promise.all(Array.from({ length: 10 }, async () => {
    const u = await stack.newUser('crowd');
    const p = await XmppPeer.login(stack.server, u.jid, u.password);
    peers.push(p);
    return p;
  }));
  await Promise.all(crowd.map((p, i) => p.sendRaw(buildJoin({ room, nick: `guest${i}`, history: { kind: 'none' } })!)));
  await until('all ten seen', () => deltas.flatMap((x) => x.d.present).filter((o) => o.nick.startsWith('guest')).length >= 10);
  assert.ok(deltas.length < 10, `${deltas.length} deltas for 10 joins`);
  for (let i = 1; i < deltas.length; i++) assert.ok(deltas[i]!.at - deltas[i - 1]!.at >= 80, `deltas ${deltas[i]!.at - deltas[i - 1]!.at} ms apart`);
  assert.equal(deltas.reduce((n, x) => n + x.d.joined.total, 0), 10);
  assert.equal(deltas.at(-1)!.d.count, 11);
  for (const p of crowd) await p.conn.send(parse(`<presence to='${room}/x' type='unavailable'/>`) as Element).catch(() => undefined);
});

test('a password room refuses without the password and lets in with it; a members-only room refuses', async () => {
  const alice = await stack.loggedIn('rpw');
  const secret = await ownRoom('secret', { 'muc#roomconfig_roomsecret': 'open sesame' });
  const refused = await alice.tab.command('roomJoin', { room: secret, nick: 'Alice', bookmark: false });
  assert.equal(refused.room.state, 'left');
  assert.equal(refused.room.error?.reason, 'password-required');
  const joined = await alice.tab.command('roomJoin', { room: secret, nick: 'Alice', password: 'open sesame', bookmark: false });
  assert.equal(joined.room.state, 'joined');
  assert.equal(joined.room.features.passwordProtected, true);

  const members = await ownRoom('members', { 'muc#roomconfig_membersonly': true });
  const out = await alice.tab.command('roomJoin', { room: members, nick: 'Alice', bookmark: false });
  assert.equal(out.room.state, 'left');
  assert.equal(out.room.error?.reason, 'members-only');
  assert.equal(out.room.features.membersOnly, true);
});

test('kicked mid-session: the room is left with the reason and the actor’s words, the tabs told, not rejoined', async () => {
  const alice = await stack.loggedIn('rk');
  const room = await ownRoom('kick');
  assert.equal((await alice.tab.command('roomJoin', { room, nick: 'Alice', bookmark: false })).room.state, 'joined');
  assert.equal((await owner.conn.iq(buildAdminSet(room, [admin.kick('Alice', 'be nice')])!)).attrs.type, 'result');
  const e = await alice.tab.waitFor('room', (x) => x.room.jid === room && x.room.state === 'left');
  assert.deepEqual(e.room.error, { reason: 'kicked', text: 'be nice', suggestion: null });
  await until('stored as not wanted', async () => (await stack.parley.stores.rooms.list(alice.accountId)).find((r) => r.jid === room && !r.joined && r.lastError?.reason === 'kicked'));
  // A fresh XMPP session does not bring it back.
  sessionOf(alice).rooms.rejoinAll();
  assert.equal(sessionOf(alice).rooms.dto(room)?.state, 'left');
});

test('a room that never answers the join: left with timeout', async () => {
  const alice = await stack.loggedIn('rt');
  const rooms = sessionOf(alice).rooms;
  rooms.timing.joinTimeoutMs = 1500;
  // A bare JID on the account server with no such user: Prosody drops presence to it without a word.
  const silent = `nobody-${randomUUID().slice(0, 8)}@${stack.server.domain}`;
  const started = Date.now();
  const r = await alice.tab.command('roomJoin', { room: silent, nick: 'Alice', bookmark: false });
  assert.equal(r.room.state, 'left');
  assert.equal(r.room.error?.reason, 'timeout');
  assert.ok(Date.now() - started >= 1400);
  assert.equal((await stack.parley.stores.rooms.list(alice.accountId)).length, 0, 'a room never joined is not stored');
});

test('hostile stanzas: a room presence without muc#user, groupchat from a non-occupant and from another room, a muc#user presence from an unknown room', async () => {
  const alice = await stack.loggedIn('rh');
  const room = roomName('hostile');
  await alice.tab.command('roomJoin', { room, nick: 'Alice', bookmark: false });
  const session = sessionOf(alice);
  const inject = (s: string) => session.conn.emit('stanza', parse(s) as Element);
  const to = session.conn.jid;
  inject(`<presence from='${room}/mallory' to='${to}'><status>no muc#user</status></presence>`);
  inject(`<presence from='other-${randomUUID().slice(0, 6)}@${muc}/eve' to='${to}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>`);
  inject(`<message from='${room}/ghost' to='${to}' type='groupchat' id='g1'><body>from a non-occupant</body></message>`);
  inject(`<message from='elsewhere@${muc}/Alice' to='${to}' type='groupchat' id='g2'><body>from another room</body></message>`);
  inject(`<message from='${room}/ghost' to='${to}' type='chat' id='g3'><body>a MUC-PM pretending to be direct</body></message>`);
  await session.drainInbound();
  assert.equal((await alice.tab.command('roomOccupants', { room })).occupants.some((o) => o.nick === 'mallory'), false);
  assert.equal(session.presence.all().some((p) => p.jid === room || p.jid.startsWith('other-')), false, 'never a contact presence');
  // Only the private message reaches the tabs, as a MUC-PM of the room (peer room/nick), never as a room or direct message.
  const shown = alice.tab.events.filter((e) => e.name === 'message').map((e) => (e.payload as { message: { peer: string } }).message.peer);
  assert.deepEqual([...new Set(shown)], shown.length ? [`${room}/ghost`] : [], 'nothing else shown as a message');
  const convs = await stack.parley.stores.messages.conversations(alice.accountId, 50);
  assert.deepEqual(convs.map((c) => c.last.peer).filter((p) => !p.startsWith(`${room}/`)), [], 'nothing stored as a direct chat or a room message');
  assert.equal(session.rooms.dto(room)?.state, 'joined', 'the session goes on');
});

test('a 5,000-occupant presence burst reaches a tab as a few coalesced deltas, and the list is complete', async () => {
  const alice = await stack.loggedIn('r5k');
  const room = roomName('crowd');
  await alice.tab.command('roomJoin', { room, nick: 'Alice', bookmark: false });
  const session = sessionOf(alice);
  const to = session.conn.jid;
  const deltas: OccupantsDeltaDTO[] = [];
  alice.tab.socket.on('occupants', (d) => d.room === room && deltas.push(d));
  // As the room would relay them (the XMPP server cannot be made to hold 5,000 real sessions here).
  for (let i = 0; i < 5000; i++) {
    session.conn.emit('stanza', parse(`<presence from='${room}/p${i}' to='${to}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>`) as Element);
  }
  await session.drainInbound();
  await until('all 5,000 told', () => deltas.reduce((n, d) => n + d.present.length, 0) >= 5000);
  assert.ok(deltas.length <= 50, `${deltas.length} deltas for 5,000 presences`);
  assert.equal(deltas.reduce((n, d) => n + d.joined.total, 0), 5000);
  assert.ok(deltas.every((d) => d.joined.nicks.length <= 20));
  assert.equal(deltas.at(-1)!.count, 5001);
  assert.equal((await alice.tab.command('roomOccupants', { room })).occupants.length, 5001);
});

test('self-ping on stream resumption finds the room still has us; a room that forgot us is rejoined', async () => {
  const alice = await stack.loggedIn('rsp');
  const room = roomName('ping');
  const session = sessionOf(alice);
  await alice.tab.command('roomJoin', { room, nick: 'Alice', bookmark: false });
  // The XMPP socket drops: the stream is resumed (XEP-0198) and the room is pinged, still joined.
  const online = new Promise<{ resumed: boolean }>((resolve) => session.conn.once('online', resolve));
  session.conn.socketForTests!.destroy();
  assert.equal((await online).resumed, true);
  await sleep(500);
  assert.equal(session.rooms.dto(room)?.state, 'joined');

  // The room forgets us without a word (its occupant removed inside Prosody): the next self-ping rejoins.
  session.rooms.timing.selfPing = { silenceMs: 300, checkMs: 100 };
  const before = alice.tab.events.length;
  // One argument without spaces (prosodyctl shell reads several as `a:b(c...)`): the Lua code's spaces as \032 escapes.
  const code = `local r = prosody.hosts['${muc}'].modules.muc.get_room_from_jid('${room}'); local n = 0; for k in pairs(r._occupants) do r._occupants[k] = nil; n = n + 1 end; for k in pairs(r._jid_nick) do r._jid_nick[k] = nil end; return 'removed ' .. n`;
  const lua = `>load("${code.replaceAll(' ', '\\032')}")()`;
  const out = await stack.prosody.shell(lua);
  assert.match(out, /removed 1/, out);
  session.rooms.resumed();
  await alice.tab.waitFor('room', (e) => e.room.jid === room && e.room.state === 'rejoining');
  await until('rejoined', () => alice.tab.events.slice(before).some((e) => e.name === 'room' && (e.payload as { room: { state: string } }).room.state === 'joined'));
});

test('rejoin after the XMPP connection drops and cannot be resumed: a fresh session joins the room again', async () => {
  const alice = await stack.loggedIn('rrj');
  const room = await ownRoom('rejoin');
  const session = sessionOf(alice);
  await alice.tab.command('roomJoin', { room, nick: 'Alice', bookmark: false });
  const online = new Promise<{ resumed: boolean }>((resolve) => session.conn.on('online', (i: { resumed: boolean }) => !i.resumed && resolve(i)));
  const gone = stanzaAt(owner, (el) => el.attrs.from === `${room}/Alice` && el.attrs.type === 'unavailable', 'Alice dropped');
  // The server ends the session (no resumption possible): the room drops us, Parley logs in afresh.
  await stack.prosody.shell(`c2s:close("${session.conn.jid}")`);
  await gone;
  const back = stanzaAt(owner, (el) => el.attrs.from === `${room}/Alice` && el.attrs.type === undefined, 'Alice back', 30_000);
  assert.equal((await online).resumed, false);
  await alice.tab.waitFor('room', (e) => e.room.jid === room && e.room.state === 'rejoining', 30_000);
  await back;
  await until('joined again', () => session.rooms.dto(room)?.state === 'joined');
});

test('rejoin after a Parley restart: rooms stored as joined are joined again by the restored session', async () => {
  const user = await stack.newUser('rrs');
  const browser = new HttpBrowser(stack.url);
  assert.equal((await browser.login(user.jid, user.password, { remember: 'on' })).status, 303);
  const tab = browser.tab();
  await tab.waitFor('hello');
  const room = await ownRoom('restart');
  assert.equal((await tab.command('roomJoin', { room, nick: 'Phoenix', bookmark: false })).room.state, 'joined');
  const accountId = stack.parley.sessions.sessions().find((s) => s.jid === user.jid)!.accountId;
  await until('stored', async () => (await stack.parley.stores.rooms.list(accountId)).find((r) => r.jid === room && r.joined));
  tab.close();
  const gone = stanzaAt(owner, (el) => el.attrs.from === `${room}/Phoenix` && el.attrs.type === 'unavailable', 'Phoenix leaves with the shutdown');
  await stack.parley.close();
  await gone;
  const back = stanzaAt(owner, (el) => el.attrs.from === `${room}/Phoenix` && el.attrs.type === undefined && parseOccupantPresence(el)?.kind === 'occupant', 'Phoenix back');
  const env = { PORT: String(await freePort()), PARLEY_XMPP_SERVICES: `${stack.server.domain}=xmpp://127.0.0.1:${stack.server.c2sPort}` };
  const second = await startParley(TestStack.config(stack.server, stack.databaseUrl, env), { log: createLogger(process.env.PARLEY_TEST_LOG ?? 'silent') });
  try {
    await back;
    const restored = await until('restored', () => second.sessions.sessions().find((s) => s.jid === user.jid));
    await until('joined again', () => restored.rooms.dto(room)?.state === 'joined');
    assert.equal(restored.rooms.dto(room)?.nick, 'Phoenix');
  } finally {
    await second.close();
  }
});
