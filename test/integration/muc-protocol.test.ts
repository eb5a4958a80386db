/**
 * The MUC builders and parsers (server/stanza/muc.ts, data-form.ts) against a real Prosody 0.12 with its muc
 * component and muc_mam: every request is one of our builders, every answer is read by our parsers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { TestProsody } from '../harness/prosody.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import {
  admin, buildAdminGet, buildAdminSet, buildConfigGet, buildConfigSubmit, buildDiscoInfoGet, buildDiscoItemsGet, buildGroupchat,
  buildInstantRoom, buildJoin, buildSelfPing, isMucService, parseAdminItems, parseConfigForm, parseDiscoInfo, parseDiscoItems,
  parseGroupchat, parseOccupantPresence, buildModerate, parseModeration, parseRoomInfo, parseSelfPingAnswer, type OccupantPresence, type MucPresenceError,
} from '../../server/stanza/muc.js';
import { buildSubmitForm } from '../../server/stanza/data-form.js';
import { buildMamQuery, parseMamFin, parseMamResult } from '../../server/stanza/mam.js';
import { Inbox } from '../harness/inbox.js';

let prosody: TestProsody;
let alice: XmppPeer;
let bob: XmppPeer;

let aliceIn: Inbox;
let bobIn: Inbox;

const occupantFrom = (room: string, nick: string) => (el: Element) => {
  const p = parseOccupantPresence(el);
  return p !== null && p.kind === 'occupant' && p.occupant.room === room && p.occupant.nick === nick;
};

before(async () => {
  prosody = await TestProsody.start({ muc: true });
  await prosody.createUser('alice', 'pw');
  await prosody.createUser('bob', 'pw');
  alice = await XmppPeer.login(prosody, `alice@${prosody.domain}`, 'pw');
  bob = await XmppPeer.login(prosody, `bob@${prosody.domain}`, 'pw');
  aliceIn = new Inbox(alice.conn);
  bobIn = new Inbox(bob.conn);
});

after(async () => {
  await alice?.stop();
  await bob?.stop();
  await prosody?.stop();
});

test('the MUC service is found among the server disco#items by its conference/text identity', async () => {
  const items = parseDiscoItems(await alice.conn.iq(buildDiscoItemsGet(prosody.domain)));
  assert.ok(items);
  const services = [];
  for (const item of items.items) {
    const info = parseDiscoInfo(await alice.conn.iq(buildDiscoInfoGet(item.jid)));
    if (info && isMucService(info)) services.push(item.jid);
  }
  assert.deepEqual(services, [prosody.mucDomain]);
});

test('create an instant room, talk, find the message in the room archive, kick, self-ping, nickname conflict', async () => {
  const room = `instant-${randomUUID().slice(0, 8)}@${prosody.mucDomain}`;
  await alice.sendRaw(buildJoin({ room, nick: 'Alice', history: { kind: 'none' } })!);
  const self = parseOccupantPresence(await aliceIn.next(occupantFrom(room, 'Alice'), 'self-presence')) as OccupantPresence;
  assert.equal(self.self, true);
  assert.equal(self.created, true, `codes ${self.codes}`);
  assert.equal(self.occupant.affiliation, 'owner');
  assert.equal(self.occupant.role, 'moderator');

  const unlocked = await alice.conn.iq(buildInstantRoom(room)!);
  assert.equal(unlocked.attrs.type, 'result');

  await bob.sendRaw(buildJoin({ room, nick: 'Bob', history: { kind: 'maxstanzas', maxstanzas: 0 } })!);
  const bobSelf = parseOccupantPresence(await bobIn.next(occupantFrom(room, 'Bob'), "Bob's self-presence")) as OccupantPresence;
  assert.equal(bobSelf.self, true);
  assert.equal(bobSelf.created, false);
  assert.equal(bobSelf.occupant.role, 'participant');
  const bobSeen = parseOccupantPresence(await aliceIn.next(occupantFrom(room, 'Bob'), "Bob's presence at Alice")) as OccupantPresence;
  assert.equal(bobSeen.self, false);
  // Alice owns the room, so she sees Bob's real JID even in a semi-anonymous room.
  assert.match(bobSeen.occupant.jid ?? '', new RegExp(`^bob@${prosody.domain}/`));

  const id = randomUUID();
  await alice.sendRaw(buildGroupchat(room, id, 'hello <b>room</b>')!);
  const isOurs = (el: Element) => parseGroupchat(el)?.originId === id;
  const atBob = parseGroupchat(await bobIn.next(isOurs, 'the message at Bob'))!;
  const reflected = parseGroupchat(await aliceIn.next(isOurs, 'the reflection'))!;
  assert.equal(reflected.room, room);
  assert.equal(reflected.nick, 'Alice');
  assert.equal(reflected.body, 'hello <b>room</b>');
  assert.ok(reflected.stanzaId, 'the room stamps a stanza-id by its own JID');
  assert.equal(atBob.stanzaId, reflected.stanzaId);

  // The room's own archive (XEP-0313 addressed to the room JID): the same message under the same id.
  const queryId = randomUUID();
  const query = buildMamQuery({ queryId, max: 50 });
  query.attrs.to = room;
  const fin = parseMamFin(await alice.conn.iq(query));
  assert.ok(fin?.complete);
  const results = aliceIn.seen.map((el) => parseMamResult(el, room)).filter((r) => r.kind === 'result' && r.queryId === queryId);
  assert.equal(results.length, 1);
  const archived = results[0] as Extract<ReturnType<typeof parseMamResult>, { kind: 'result' }>;
  assert.equal(archived.archiveId, reflected.stanzaId);
  assert.equal(parseGroupchat(archived.message)?.body, 'hello <b>room</b>');

  // XEP-0425: Alice moderates a message of Bob's by its room stanza-id; the room tells every occupant.
  const room0 = parseRoomInfo(await alice.conn.iq(buildDiscoInfoGet(room)));
  assert.equal(room0?.mam, true);
  assert.equal(room0?.moderation, 0, 'Prosody 0.12 with mod_muc_moderation speaks XEP-0425 0.2 (urn:xmpp:message-moderate:0)');
  const spamId = randomUUID();
  await bob.sendRaw(buildGroupchat(room, spamId, 'spam')!);
  const spam = parseGroupchat(await aliceIn.next((el) => parseGroupchat(el)?.originId === spamId, "Bob's message"))!;
  assert.ok(spam.stanzaId);
  assert.equal((await alice.conn.iq(buildModerate(room, spam.stanzaId, room0.moderation, 'no spam')!)).attrs.type, 'result');
  const announced = parseModeration(await bobIn.next((el) => parseModeration(el)?.stanzaId === spam.stanzaId, 'the moderation announcement'))!;
  assert.equal(announced.room, room);
  assert.equal(announced.reason, 'no spam');
  assert.equal(announced.by, `${room}/Alice`);

  // Kick Bob: the admin set is accepted; Bob's own unavailable presence says 110 + 307.
  const kicked = await alice.conn.iq(buildAdminSet(room, [admin.kick('Bob', 'enough')])!);
  assert.equal(kicked.attrs.type, 'result');
  const gone = parseOccupantPresence(
    await bobIn.next((el) => el.attrs.type === 'unavailable' && occupantFrom(room, 'Bob')(el), "Bob's kick"),
  ) as OccupantPresence;
  assert.equal(gone.self, true);
  assert.equal(gone.leave, 'kicked');
  assert.equal(gone.reason, 'enough');

  // XEP-0410: Alice is still in, Bob is not.
  assert.equal(parseSelfPingAnswer(await alice.conn.iq(buildSelfPing(room, 'Alice')!).catch((e: { stanza?: Element }) => e.stanza ?? null)), 'joined');
  const bobPing = await bob.conn.iq(buildSelfPing(room, 'Bob')!).then((r) => r, (e: { stanza?: Element; element?: Element }) => e.stanza ?? e.element ?? null);
  assert.equal(parseSelfPingAnswer(bobPing), 'not-joined');

  // Joining under a taken nickname: a typed reason.
  await bob.sendRaw(buildJoin({ room, nick: 'Alice' })!);
  const refused = parseOccupantPresence(await bobIn.next((el) => el.name === 'presence' && el.attrs.type === 'error', 'the join error')) as MucPresenceError;
  assert.equal(refused.kind, 'error');
  assert.equal(refused.reason, 'nickname-in-use');

  // Rejoining with discussion history: Alice's message comes again, with the room's delay and the same room stanza-id.
  await bob.sendRaw(buildJoin({ room, nick: 'Bob', history: { kind: 'maxstanzas', maxstanzas: 10 } })!);
  const replayed = parseGroupchat(await bobIn.next((el) => { const m = parseGroupchat(el); return m?.originId === id && m.delay !== null; }, 'the history'))!;
  assert.equal(replayed.stanzaId, reflected.stanzaId);
  assert.ok(replayed.delay!.getTime() <= Date.now());
});

test('a room configured through its owner form: persistent, non-anonymous, members-only, with MAM, as disco#info says', async () => {
  const room = `configured-${randomUUID().slice(0, 8)}@${prosody.mucDomain}`;
  await alice.sendRaw(buildJoin({ room, nick: 'Alice', history: { kind: 'none' } })!);
  const self = parseOccupantPresence(await aliceIn.next(occupantFrom(room, 'Alice'), 'self-presence')) as OccupantPresence;
  assert.ok(self.self && self.created);

  const parsed = parseConfigForm(await alice.conn.iq(buildConfigGet(room)!));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.equal(parsed.form.formType, 'http://jabber.org/protocol/muc#roomconfig');
  const submit = buildSubmitForm(parsed.form, {
    'muc#roomconfig_roomname': 'Family <3',
    'muc#roomconfig_persistentroom': true,
    'muc#roomconfig_membersonly': true,
    'muc#roomconfig_whois': 'anyone',
  });
  assert.ok(submit.ok, submit.ok ? '' : submit.error);
  assert.equal((await alice.conn.iq(buildConfigSubmit(room, submit.element)!)).attrs.type, 'result');

  const info = parseRoomInfo(await alice.conn.iq(buildDiscoInfoGet(room)));
  assert.ok(info);
  assert.equal(info.name, 'Family <3');
  assert.equal(info.persistent, true);
  assert.equal(info.membersOnly, true);
  assert.equal(info.nonAnonymous, true);
  assert.equal(info.mam, true);
  assert.equal(info.occupants, 1);

  // Members-only: Bob is refused until he is made a member, then listed as one.
  await bob.sendRaw(buildJoin({ room, nick: 'Bob' })!);
  const refused = parseOccupantPresence(await bobIn.next((el) => el.attrs.type === 'error' && String(el.attrs.from).startsWith(room), 'the refusal')) as MucPresenceError;
  assert.equal(refused.reason, 'members-only');
  assert.equal((await alice.conn.iq(buildAdminSet(room, [admin.member(bob.conn.bareJid)])!)).attrs.type, 'result');
  const members = parseAdminItems(await alice.conn.iq(buildAdminGet(room, { affiliation: 'member' })!));
  assert.deepEqual(members?.items.map((i) => i.jid), [bob.conn.bareJid]);
});
