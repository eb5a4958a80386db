/**
 * Room messages with literal stanzas: which row a groupchat message or MUC-PM becomes (direction, sender, mention,
 * the per-room dedup keys), what is dropped (non-occupants, other rooms, subjects, forged archive results), and how
 * the reflection of our own send finds its pending row (planBatch: the same keys the database's unique indexes use).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { parseGroupchat, type Occupant } from '../../server/stanza/muc.js';
import { roomMessageRow, pmRow } from '../../server/features/rooms/room-message.js';
import { bodyMentions, mentionsMe, referencesMe } from '../../server/features/rooms/mentions.js';
import { planBatch, type MessageRow, type NewMessage } from '../../server/store/messages.js';
import { RoomHistory, asGroupchat } from '../../server/features/rooms/history.js';
import { Messages } from '../../server/features/messages.js';
import type { RoomRegistryPort, RoomView } from '../../server/features/rooms/ports.js';
import type { SessionContext } from '../../server/features/context.js';
import { buildChatMessage } from '../../server/stanza/message.js';

const el = (s: string) => parse(s) as unknown as Element;
const ROOM = 'coven@chat.shakespeare.lit';
const ME = 'hag66@shakespeare.lit';
const now = new Date('2026-12-01T12:00:00Z');

const occupant = (nick: string, jid: string | null = null, occupantId: string | null = null): Occupant => ({
  room: ROOM, nick, available: true, affiliation: 'member', role: 'participant', jid, show: 'available', status: null, occupantId,
});

function row(xmlText: string, opts: { ourNick?: string; occupants?: Occupant[]; source?: 'live' | 'history' | 'archive'; archiveId?: string } = {}) {
  const e = el(xmlText);
  const gc = parseGroupchat(e, now)!;
  assert.ok(gc, 'parses as groupchat');
  const occ = (opts.occupants ?? []).find((o) => o.nick === gc.nick);
  return roomMessageRow({ accountId: '1', ownBare: ME, el: e, gc, ourNick: opts.ourNick ?? 'thirdwitch', occupant: occ, source: opts.source ?? 'live', stamp: now, archiveId: opts.archiveId });
}

test('a room message from an occupant: peer = the room, type groupchat, nick, real JID, room stanza-id, originSender = nick', () => {
  const r = row(
    `<message from="${ROOM}/firstwitch" to="${ME}/pda" type="groupchat" id="m1"><body>Thrice the brinded cat hath mew'd.</body>` +
      `<origin-id xmlns="urn:xmpp:sid:0" id="o1"/><stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s1"/>` +
      `<stanza-id xmlns="urn:xmpp:sid:0" by="${ME}" id="forged-own"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="occ-1"/></message>`,
    { occupants: [occupant('firstwitch', 'crone1@shakespeare.lit/desktop', 'occ-1')] },
  );
  assert.ok(r.ok);
  assert.equal(r.row.peer, ROOM);
  assert.equal(r.row.type, 'groupchat');
  assert.equal(r.row.direction, 'in');
  assert.equal(r.row.fromJid, `${ROOM}/firstwitch`);
  assert.equal(r.row.nick, 'firstwitch');
  assert.equal(r.row.senderJid, 'crone1@shakespeare.lit');
  assert.equal(r.row.occupantId, 'occ-1');
  // Only the room's stanza-id counts, not one claiming our account.
  assert.equal(r.row.stanzaId, 's1');
  assert.equal(r.row.originId, 'o1');
  assert.equal(r.row.originSender, 'firstwitch');
  assert.equal(r.row.state, 'received');
  assert.equal(r.row.mentionsMe, false);
});

test('direction: our nick, or our own real JID (another client of ours with another nick), is "out"; others "in"', () => {
  const msg = (nick: string) => `<message from="${ROOM}/${nick}" type="groupchat" id="x"><body>hi</body></message>`;
  const ours = row(msg('thirdwitch'));
  assert.ok(ours.ok);
  assert.equal(ours.row.direction, 'out');
  assert.equal(ours.row.originSender, '');
  assert.equal(ours.row.state, 'sent');
  const otherClient = row(msg('hag-phone'), { occupants: [occupant('hag-phone', `${ME}/phone`)] });
  assert.ok(otherClient.ok);
  assert.equal(otherClient.row.direction, 'out');
  const stranger = row(msg('secondwitch'), { occupants: [occupant('secondwitch')] });
  assert.ok(stranger.ok);
  assert.equal(stranger.row.direction, 'in');
  // A nick change of ours: the new nick is ours, the old one now someone else's.
  const renamed = row(msg('thirdwitch'), { ourNick: 'hecate', occupants: [occupant('thirdwitch')] });
  assert.ok(renamed.ok);
  assert.equal(renamed.row.direction, 'in');
});

test('live messages only from occupants; history and archive messages may name nicks that left; subjects and the room itself are no messages', () => {
  const gone = `<message from="${ROOM}/ghost" type="groupchat" id="g"><body>boo</body></message>`;
  const live = row(gone);
  assert.equal(live.ok, false);
  const history = row(`<message from="${ROOM}/ghost" type="groupchat" id="g"><body>boo</body><delay xmlns="urn:xmpp:delay" from="${ROOM}" stamp="2026-12-01T11:00:00Z"/></message>`, { source: 'history' });
  assert.ok(history.ok);
  assert.equal(history.row.nick, 'ghost');
  const archived = row(gone, { source: 'archive', archiveId: 'a-1' });
  assert.ok(archived.ok);
  assert.equal(archived.row.stanzaId, 'a-1');
  assert.equal(row(`<message from="${ROOM}/firstwitch" type="groupchat"><subject>Fire Burn and Cauldron Bubble!</subject></message>`, { occupants: [occupant('firstwitch')] }).ok, false);
  assert.equal(row(`<message from="${ROOM}" type="groupchat"><body>The room is now non-anonymous</body></message>`).ok, false);
  assert.equal(row(`<message from="${ROOM}/firstwitch" type="groupchat"><body></body></message>`, { occupants: [occupant('firstwitch')] }).ok, false);
});

test('an archived message names its sender\'s real JID in muc#user (non-anonymous room); a live one only through the registry', () => {
  const xmlText = `<message from="${ROOM}/firstwitch" type="groupchat" id="m"><body>x</body><x xmlns="http://jabber.org/protocol/muc#user"><item jid="${ME}/old"/></x></message>`;
  const archived = row(xmlText, { source: 'archive', archiveId: 'a', ourNick: 'hecate' });
  assert.ok(archived.ok);
  assert.equal(archived.row.senderJid, ME);
  assert.equal(archived.row.direction, 'out');
  const live = row(xmlText, { occupants: [occupant('firstwitch')], ourNick: 'hecate' });
  assert.ok(live.ok);
  assert.equal(live.row.senderJid, null);
  assert.equal(live.row.direction, 'in');
});

test('encrypted room messages keep the <encrypted> element, no body; a huge body is cut to the bound', () => {
  const enc = row(
    `<message from="${ROOM}/firstwitch" type="groupchat" id="e"><encrypted xmlns="eu.siacs.conversations.axolotl"><header sid="1"><iv>AAAA</iv></header><payload>BBBB</payload></encrypted><body>This message is encrypted</body></message>`,
    { occupants: [occupant('firstwitch')] },
  );
  assert.ok(enc.ok);
  assert.equal(enc.row.body, null);
  assert.match(enc.row.encrypted!, /^<encrypted xmlns="eu.siacs.conversations.axolotl">/);
  const huge = row(`<message from="${ROOM}/firstwitch" type="groupchat" id="h"><body>${'a'.repeat(300_000)}</body></message>`, { occupants: [occupant('firstwitch')] });
  assert.ok(huge.ok);
  assert.equal(huge.row.body!.length, 262_144);
});

test('mentions: our nick as a word, case-insensitive and Unicode-aware; XEP-0372 references to our occupant or bare JID', () => {
  assert.equal(bodyMentions('thirdwitch: are you there?', 'thirdwitch'), true);
  assert.equal(bodyMentions('ping THIRDWITCH!', 'thirdwitch'), true);
  assert.equal(bodyMentions('thirdwitches unite', 'thirdwitch'), false);
  assert.equal(bodyMentions('xthirdwitch', 'thirdwitch'), false);
  assert.equal(bodyMentions('Zoë, hi', 'zoë'), true);
  assert.equal(bodyMentions('Zoëy, hi', 'Zoë'), false);
  assert.equal(bodyMentions('Über alles', 'über'), true);
  assert.equal(bodyMentions('Anna.', 'Anna'), true);
  assert.equal(bodyMentions('a (b) c', '(b)'), true, 'regex characters in a nick are literal');
  assert.equal(bodyMentions('ab c', '(b)'), false);
  assert.equal(bodyMentions('Привет, Маша', 'маша'), true);
  assert.equal(bodyMentions('Машенька', 'Маша'), false);
  const ref = (uri: string, type = 'mention') => el(`<message><body>hey</body><reference xmlns="urn:xmpp:reference:0" type="${type}" begin="0" end="3" uri="${uri}"/></message>`);
  assert.equal(referencesMe(ref(`xmpp:${ROOM}/thirdwitch`), ROOM, 'thirdwitch', ME), true);
  assert.equal(referencesMe(ref(`xmpp:COVEN@chat.shakespeare.lit/third%20witch`), ROOM, 'third witch', ME), true);
  assert.equal(referencesMe(ref(`xmpp:${ME}`), ROOM, 'thirdwitch', ME), true);
  assert.equal(referencesMe(ref(`xmpp:${ROOM}/firstwitch`), ROOM, 'thirdwitch', ME), false);
  assert.equal(referencesMe(ref(`xmpp:${ROOM}/thirdwitch`, 'data'), ROOM, 'thirdwitch', ME), false);
  assert.equal(referencesMe(ref('%E0%A4%A'), ROOM, 'thirdwitch', ME), false, 'a broken escape is no crash');
  assert.equal(mentionsMe(ref(`xmpp:${ROOM}/thirdwitch`), 'hey', ROOM, 'thirdwitch', ME), true);
  const r = row(`<message from="${ROOM}/firstwitch" type="groupchat" id="m"><body>Thirdwitch, the cauldron!</body></message>`, { occupants: [occupant('firstwitch')] });
  assert.ok(r.ok);
  assert.equal(r.row.mentionsMe, true);
  // Our own messages never count as mentions of us.
  const own = row(`<message from="${ROOM}/thirdwitch" type="groupchat" id="m"><body>thirdwitch here</body></message>`);
  assert.ok(own.ok);
  assert.equal(own.row.mentionsMe, false);
});

test('a MUC-PM is its own conversation: peer = room/nick, never the room or a bare JID', () => {
  const e = el(`<message from="${ROOM}/firstwitch" to="${ME}/pda" type="chat" id="p1"><body>psst</body><x xmlns="http://jabber.org/protocol/muc#user"/></message>`);
  const r = pmRow({ accountId: '1', ownBare: ME, el: e, room: ROOM, nick: 'firstwitch', occupant: occupant('firstwitch', 'crone1@shakespeare.lit'), receivedAt: now });
  assert.ok(r.ok);
  assert.equal(r.row.peer, `${ROOM}/firstwitch`);
  assert.equal(r.row.type, 'chat');
  assert.equal(r.row.direction, 'in');
  assert.equal(r.row.nick, 'firstwitch');
  assert.equal(r.row.senderJid, 'crone1@shakespeare.lit');
  // A carbon of our own PM to the occupant.
  const out = el(`<message from="${ME}/desktop" to="${ROOM}/firstwitch" type="chat" id="p2"><body>yes?</body></message>`);
  const o = pmRow({ accountId: '1', ownBare: ME, el: out, room: ROOM, nick: 'firstwitch', occupant: undefined, receivedAt: now });
  assert.ok(o.ok);
  assert.equal(o.row.direction, 'out');
  assert.equal(o.row.peer, `${ROOM}/firstwitch`);
  // Not with that occupant.
  assert.equal(pmRow({ accountId: '1', ownBare: ME, el: e, room: ROOM, nick: 'secondwitch', occupant: undefined, receivedAt: now }).ok, false);
});

const stored = (m: Partial<MessageRow>): MessageRow => ({
  id: '7', accountId: '1', peer: ROOM, direction: 'out', fromJid: `${ROOM}/thirdwitch`, toJid: ROOM, type: 'groupchat', body: 'hi', encrypted: null,
  messageId: 'o1', originId: 'o1', stanzaId: null, attachmentUrl: null, attachmentName: null, attachmentSize: null, attachmentType: null,
  stamp: now, claimedStamp: null, state: 'pending', createdAt: now, replyToId: null, replyToJid: null, replyFallbackStart: null, replyFallbackEnd: null,
  nick: 'thirdwitch', senderJid: ME, occupantId: null, mentionsMe: false, moderatedAt: null, moderatedBy: null, moderationReason: null, originSender: '', ...m,
});

test('dedup keys: our reflection finds the pending row by origin-id; stanza-ids are per room; another nick\'s origin-id never matches ours', () => {
  const reflection = row(`<message from="${ROOM}/thirdwitch" type="groupchat" id="o1"><body>hi</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/><stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s9"/></message>`);
  assert.ok(reflection.ok);
  const pending = stored({});
  let plan = planBatch([reflection.row], [pending]).steps;
  assert.equal(plan[0]!.kind, 'duplicate');
  assert.equal(plan[0]!.kind === 'duplicate' && plan[0]!.fill, true, 'the pending row gets the room stanza-id');
  // Someone else sending our origin-id: a message of its own.
  const copycat = row(`<message from="${ROOM}/firstwitch" type="groupchat" id="o1"><body>hi</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/><stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s10"/></message>`, { occupants: [occupant('firstwitch')] });
  assert.ok(copycat.ok);
  plan = planBatch([copycat.row], [pending]).steps;
  assert.equal(plan[0]!.kind, 'new');
  // The same stanza-id in another room (or our own archive's id in a direct chat) is another message.
  const otherRoom: NewMessage = { ...reflection.row, peer: 'other@chat.shakespeare.lit', originId: null };
  plan = planBatch([otherRoom], [stored({ stanzaId: 's9', originId: null, messageId: null })]).steps;
  assert.equal(plan[0]!.kind, 'new');
  // The same message from the join history, then the archive, then live: one row.
  const a: NewMessage = { ...copycat.row, originId: null };
  plan = planBatch([a, { ...a }, { ...a }], []).steps;
  assert.deepEqual(plan.map((s) => s.kind), ['new', 'duplicate', 'duplicate']);
});

test('room stanzas we send: type groupchat, origin-id = id, no receipt request', () => {
  const s = asGroupchat(buildChatMessage({ to: ROOM, id: 'o1', originId: 'o1', body: 'hi' })).toString();
  assert.match(s, /^<message to="coven@chat.shakespeare.lit" type="groupchat" id="o1">/);
  assert.match(s, /<origin-id xmlns="urn:xmpp:sid:0" id="o1"\/>/);
  assert.doesNotMatch(s, /urn:xmpp:receipts/);
});

/** A RoomHistory over a fake store and a stand-in registry: what reaches the store at all. */
function harness(occupants: Occupant[]) {
  const inserted: NewMessage[] = [];
  const emitted: string[] = [];
  const warnings: string[] = [];
  const view: RoomView = {
    jid: ROOM, nick: 'thirdwitch', state: 'joined',
    features: { membersOnly: false, nonAnonymous: false, persistent: true, passwordProtected: false, public: true, moderated: false, mam: true, moderation: true },
    occupant: (nick) => occupants.find((o) => o.nick === nick),
    realJids: () => [],
  };
  const registry = { get: (room: string) => (room === ROOM ? view : undefined) } as unknown as RoomRegistryPort;
  const insertOne = (m: NewMessage) => {
    inserted.push(m);
    return { row: stored({ ...m, id: String(inserted.length) } as Partial<MessageRow>), inserted: true };
  };
  const messages = {
    insert: async (m: NewMessage) => insertOne(m),
    insertMany: async (ms: NewMessage[], stamp?: (m: NewMessage, held: Date | null) => Date) => ms.map((m) => insertOne(stamp ? { ...m, stamp: stamp(m, null) } : m)),
    roomEdge: async () => null,
    edgeStamp: async () => null,
  };
  const iqs: { el: Element; answer: (el: Element) => void }[] = [];
  const noop = () => undefined;
  const ctx = {
    accountId: '1', jid: ME,
    conn: { on: noop, state: 'online', iq: (q: Element) => new Promise<Element>((answer) => iqs.push({ el: q, answer })) },
    stores: { messages, mutations: { forgotten: async () => new Set<number>() }, reactions: {} },
    log: { debug: noop, info: noop, warn: (_: unknown, msg: string) => warnings.push(msg), error: noop },
    emit: (event: string) => emitted.push(event),
  } as unknown as SessionContext;
  const history = new RoomHistory(ctx, registry, new Messages(ctx));
  return { history, inserted, emitted, warnings, iqs };
}

test('receive: the room\'s messages stored; other rooms, non-occupants, subjects and MUC-PMs of unknown rooms dropped; nothing throws', async () => {
  const h = harness([occupant('firstwitch')]);
  await h.history.receive(el(`<message from="${ROOM}/firstwitch" type="groupchat" id="1"><body>one</body></message>`), now);
  await h.history.receive(el(`<message from="other@chat.shakespeare.lit/firstwitch" type="groupchat" id="2"><body>two</body></message>`), now);
  await h.history.receive(el(`<message from="${ROOM}/intruder" type="groupchat" id="3"><body>three</body></message>`), now);
  await h.history.receive(el(`<message from="${ROOM}/firstwitch" type="groupchat"><subject>s</subject></message>`), now);
  await h.history.receive(el(`<message from="other@chat.shakespeare.lit/x" type="chat" id="4"><body>pm</body></message>`), now);
  await h.history.receive(el(`<message from="${ROOM}/firstwitch" type="chat" id="5"><body>pm</body><x xmlns="http://jabber.org/protocol/muc#user"/></message>`), now);
  await h.history.receive(el(`<message from="${ROOM}/" type="groupchat"><body>x</body></message>`), now);
  await h.history.receive(el(`<presence from="${ROOM}/firstwitch"/>`), now);
  assert.deepEqual(h.inserted.map((m) => [m.peer, m.body]), [[ROOM, 'one'], [`${ROOM}/firstwitch`, 'pm']]);
  assert.deepEqual(h.emitted, ['message', 'message']);
});

test('room archive results: only from the room the query went to, with our queryid; others are not taken as ours', () => {
  const h = harness([]);
  const forged = el(`<message from="other@chat.shakespeare.lit"><result xmlns="urn:xmpp:mam:2" queryid="q" id="a"><forwarded xmlns="urn:xmpp:forward:0"><message from="${ROOM}/x" type="groupchat"><body>b</body></message></forwarded></result></message>`);
  // No query of ours has that id: left to the session's own archive check (which drops it as forged).
  assert.equal(h.history.claimArchiveResult(forged), false);
  assert.equal(h.history.claimArchiveResult(el('<message from="x@y"><body>hi</body></message>'), ), false);
});

test('room archive results during a query: taken only from the queried room with our queryid; forged ones dropped, never stored', async () => {
  const h = harness([]);
  const page = h.history.older(ROOM, now)!;
  await until(() => h.iqs.length === 1);
  const query = h.iqs[0]!.el;
  assert.equal(query.attrs.to, ROOM, 'the query goes to the room');
  const queryId = String(query.getChild('query', 'urn:xmpp:mam:2')!.attrs.queryid);
  const result = (from: string, qid: string, id: string, inner: string) =>
    el(`<message from="${from}"><result xmlns="urn:xmpp:mam:2" queryid="${qid}" id="${id}"><forwarded xmlns="urn:xmpp:forward:0">` +
      `<delay xmlns="urn:xmpp:delay" stamp="2026-12-01T10:00:00Z"/>${inner}</forwarded></result></message>`);
  const fromRoom = (nick: string, body: string) => `<message from="${ROOM}/${nick}" type="groupchat" id="x"><body>${body}</body></message>`;
  assert.equal(h.history.claimArchiveResult(result('other@chat.shakespeare.lit', queryId, 'f1', fromRoom('x', 'forged by another room'))), true);
  assert.equal(h.history.claimArchiveResult(result(ME, queryId, 'f2', fromRoom('x', 'forged by our own JID'))), true);
  // From the right room, but the archived message claims another room: dropped when stored.
  assert.equal(h.history.claimArchiveResult(result(ROOM, queryId, 'f3', `<message from="other@chat.shakespeare.lit/x" type="groupchat"><body>elsewhere</body></message>`)), true);
  assert.equal(h.history.claimArchiveResult(result(ROOM, queryId, 'a1', fromRoom('ghost', 'a real old one'))), true);
  // Another queryid: not ours (our own archive's, or forged): left alone.
  assert.equal(h.history.claimArchiveResult(result(ROOM, 'someone-else', 'a2', fromRoom('ghost', 'not asked'))), false);
  h.iqs[0]!.answer(el(`<iq type="result" from="${ROOM}"><fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm"><first>a1</first><last>a1</last></set></fin></iq>`));
  assert.deepEqual(await page, { stored: 1, complete: true });
  assert.deepEqual(h.inserted.map((m) => [m.peer, m.body, m.stanzaId, m.nick]), [[ROOM, 'a real old one', 'a1', 'ghost']]);
  // After the answer the query is closed: late results are not taken.
  assert.equal(h.history.claimArchiveResult(result(ROOM, queryId, 'a3', fromRoom('ghost', 'late'))), false);
});

test('a stanza-id claiming another room (or our account) is not the room\'s id', () => {
  const gc = parseGroupchat(el(`<message from="${ROOM}/firstwitch" type="groupchat"><body>x</body><stanza-id xmlns="urn:xmpp:sid:0" by="other@chat.shakespeare.lit" id="o"/><stanza-id xmlns="urn:xmpp:sid:0" by="${ME}" id="m"/></message>`), now)!;
  assert.equal(gc.stanzaId, null);
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(check());
}

test('MUC-PMs in our own archive: recognised by the muc#user marker, stored under the occupant JID, never the room\'s bare JID', async () => {
  const { isMarkedMucPm } = await import('../../server/features/archive.js');
  const pm = el(`<message from="${ROOM}/firstwitch" to="${ME}/pda" type="chat" id="p"><body>psst</body><x xmlns="http://jabber.org/protocol/muc#user"/></message>`);
  assert.equal(isMarkedMucPm(pm), true);
  assert.equal(isMarkedMucPm(el(`<message from="${ROOM}" to="${ME}"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="a@b"/></x></message>`)), false);
  assert.equal(isMarkedMucPm(el(`<message from="bob@shakespeare.lit/x" to="${ME}" type="chat"><body>hi</body></message>`)), false);
  const h = harness([]);
  await h.history.archivedPm(pm, now, 'arch-1');
  // Not in that room now: stored all the same, as a PM.
  await h.history.archivedPm(el(`<message from="gone@chat.shakespeare.lit/x" to="${ME}/pda" type="chat" id="q"><body>old</body><x xmlns="http://jabber.org/protocol/muc#user"/></message>`), now, 'arch-2');
  assert.deepEqual(h.inserted.map((m) => [m.peer, m.stanzaId, m.type]), [[`${ROOM}/firstwitch`, 'arch-1', 'chat'], ['gone@chat.shakespeare.lit/x', 'arch-2', 'chat']]);
});
