/**
 * Room messages and their history through Parley against a real Prosody (muc + muc_mam + muc_moderation): RoomHistory
 * is driven by a stand-in registry defined here (the real one is rooms-core's), joined with raw stanzas over the
 * Parley session's own connection. The other occupants are plain XMPP clients. Every message must be exactly one
 * row, whether it came live, from the join history or from the room's archive.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, type LoggedIn } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { until } from '../harness/poll.js';
import {
  buildConfigGet, buildConfigSubmit, buildDiscoInfoGet, buildGroupchat, buildInstantRoom, buildJoin, buildLeave, buildModerate,
  parseConfigForm, parseOccupantPresence, parseRoomInfo, mucPmOf, type Occupant,
} from '../../server/stanza/muc.js';
import { buildSubmitForm } from '../../server/stanza/data-form.js';
import { RoomHistory } from '../../server/features/rooms/history.js';
import type { RoomRegistryPort, RoomView } from '../../server/features/rooms/ports.js';
import type { RoomFeaturesDTO } from '../../server/realtime/contract/rooms.js';
import type { AccountSession } from '../../server/xmpp/account-session.js';
import type { MessageRow } from '../../server/store/messages.js';

let stack: TestStack;
const cleanup: (() => unknown)[] = [];

before(async () => {
  stack = await TestStack.start({ prosody: { muc: true } });
});
after(async () => {
  for (const c of cleanup.reverse()) await c();
  await stack?.close();
});

/** The session's real registry, with the waits these tests need: joined (self-presence) and left. */
class Rooms {
  constructor(private readonly session: AccountSession) {}
  get history(): RoomHistory {
    return this.session.roomHistory;
  }
  get(room: string): RoomView | undefined {
    return this.session.rooms.get(room);
  }
  async join(room: string, nick: string): Promise<void> {
    const r = await this.session.rooms.join(room, { nick });
    assert.equal(r.state, 'joined', `joined ${room}: ${JSON.stringify(r.error)}`);
  }
  async leave(room: string): Promise<void> {
    await this.session.rooms.leave(room, false);
    await until(async () => this.session.rooms.get(room)?.state !== 'joined', 'left');
  }
}

function parleySession(user: LoggedIn): AccountSession {
  return stack.parley.sessions.sessions().find((s) => s.jid === user.jid)!;
}

async function withRooms(prefix: string) {
  const user = await stack.loggedIn(prefix);
  const session = parleySession(user);
  const registry = new Rooms(session);
  return { user, session, registry, history: session.roomHistory };
}

async function peer(prefix: string): Promise<XmppPeer> {
  const u = await stack.newUser(prefix);
  const p = await XmppPeer.login(stack.server, u.jid, u.password);
  cleanup.push(() => p.stop());
  return p;
}

/** A peer creates a room (instant), optionally with archiving off; joins as `nick`. */
async function createRoom(owner: XmppPeer, nick: string, opts: { archive?: boolean } = {}): Promise<string> {
  const room = `room-${randomUUID().slice(0, 8)}@${stack.prosody.mucDomain}`;
  await owner.sendRaw(buildJoin({ room, nick, history: { kind: 'none' } })!);
  await until(async () => {
    const r = await owner.conn.iq(buildInstantRoom(room)!).catch(() => null);
    return r?.attrs.type === 'result';
  }, 'instant room');
  if (opts.archive === false) {
    const form = parseConfigForm(await owner.conn.iq(buildConfigGet(room)!));
    assert.ok(form.ok);
    const submit = buildSubmitForm(form.form, { 'muc#roomconfig_enablearchiving': false });
    assert.ok(submit.ok, submit.ok ? '' : submit.error);
    assert.equal((await owner.conn.iq(buildConfigSubmit(room, submit.element)!)).attrs.type, 'result');
  }
  return room;
}

async function rows(session: AccountSession, peerJid: string): Promise<MessageRow[]> {
  const ctx = session.context;
  return (await ctx.stores.messages.page(ctx.accountId, peerJid, { limit: 1000 })).reverse();
}

async function say(p: XmppPeer, room: string, body: string, extra: Element[] = []): Promise<string> {
  const id = randomUUID();
  await p.sendRaw(buildGroupchat(room, id, body, extra)!);
  return id;
}

test('live: two accounts in a room exchange messages; our send is one row, pending then sent with the room stanza-id', async () => {
  const { user, session, registry } = await withRooms('live');
  const bob = await peer('bob');
  const room = await createRoom(bob, 'Bob');
  await registry.join(room, 'Alice');

  const bodyIn = `hello Alice, from bob ${randomUUID()}`;
  await say(bob, room, bodyIn);
  const incoming = await user.tab.waitFor('message', (e) => e.message.body === bodyIn);
  assert.equal(incoming.message.peer, room);
  assert.equal(incoming.message.nick, 'Bob');
  assert.equal(incoming.message.direction, 'in');
  assert.equal(incoming.message.mentionsMe, true);
  assert.ok(incoming.message.stanzaId);

  const originId = randomUUID();
  const bodyOut = `hi Bob ${randomUUID()}`;
  const sent = await user.tab.command('send', { to: room, body: bodyOut, originId });
  assert.equal(sent.message.state, 'pending');
  assert.equal(sent.message.peer, room);
  const atBob = await bob.waitForMessage((el) => el.getChildText('body') === bodyOut && el.attrs.type === 'groupchat');
  assert.equal(String(atBob.attrs.from), `${room}/Alice`);
  const confirmed = await user.tab.waitFor('message', (e) => e.message.id === sent.message.id && e.message.state === 'sent');
  assert.ok(confirmed.message.stanzaId, 'the reflection brought the room stanza-id');
  await session.drainInbound();
  const all = await rows(session, room);
  assert.deepEqual(all.map((r) => [r.body, r.direction]), [[bodyIn, 'in'], [bodyOut, 'out']]);
  assert.equal(all[1]!.stanzaId, confirmed.message.stanzaId);
  // A retried send (same origin-id) is the same row.
  const again = await user.tab.command('send', { to: room, body: bodyOut, originId });
  assert.equal(again.message.id, sent.message.id);
  // Nothing of the room landed in a direct chat with the room or Bob.
  assert.equal((await rows(session, room.split('/')[0]!)).length, 2);
  assert.equal((await rows(session, bob.conn.bareJid)).length, 0);
  assert.equal(await registry.history.mentions(room), 1);
  // Read in a tab: no unread mention left.
  await user.tab.command('markDisplayed', { peer: room, id: incoming.message.id });
  await until(async () => (await registry.history.mentions(room)) === 0, 'mention read');
});

test('leave, messages meanwhile, rejoin: caught up through the room archive, no gap, no duplicate', async () => {
  const { session, registry, history } = await withRooms('catchup');
  const bob = await peer('bob');
  const room = await createRoom(bob, 'Bob');
  const before1 = await say(bob, room, 'before the first join');
  void before1;
  await registry.join(room, 'Alice');
  await history.settled(room);
  // First join: the archive's recent messages.
  await until(async () => (await rows(session, room)).length === 1, 'first join fill');
  await say(bob, room, 'live 1');
  await until(async () => (await rows(session, room)).length === 2, 'live 1');
  await registry.leave(room);
  for (let i = 0; i < 5; i++) await say(bob, room, `while away ${i}`);
  await registry.join(room, 'Alice');
  await history.settled(room);
  await say(bob, room, 'live 2');
  await until(async () => (await rows(session, room)).length === 8, 'caught up', 10_000);
  await session.drainInbound();
  const bodies = (await rows(session, room)).map((r) => r.body);
  assert.deepEqual(bodies, ['before the first join', 'live 1', 'while away 0', 'while away 1', 'while away 2', 'while away 3', 'while away 4', 'live 2']);
  // Joining again with nothing new: still one row each.
  await registry.leave(room);
  await registry.join(room, 'Alice');
  await history.settled(room);
  assert.equal((await rows(session, room)).length, 8);
  assert.ok((await rows(session, room)).every((r) => r.stanzaId), 'every row has the room stanza-id');
});

test('older pages: history of a room asks the room archive for what is before the oldest stored', async () => {
  const { user, session, registry, history } = await withRooms('older');
  const bob = await peer('bob');
  const room = await createRoom(bob, 'Bob');
  for (let i = 0; i < 12; i++) await say(bob, room, `old ${i}`);
  // A first join fetching only the newest 5 (firstJoinMax), the rest on scroll.
  (history as unknown as { firstMax: number }).firstMax = 5;
  await registry.join(room, 'Alice');
  await history.settled(room);
  assert.deepEqual((await rows(session, room)).map((r) => r.body), ['old 7', 'old 8', 'old 9', 'old 10', 'old 11']);
  const page = await user.tab.command('history', { peer: room, limit: 50 });
  assert.deepEqual(page.messages.map((m) => m.body).reverse(), Array.from({ length: 12 }, (_, i) => `old ${i}`));
  assert.equal((await rows(session, room)).length, 12);
});

test('a room without archive: the join asks history since the newest stored; one row each', async () => {
  const { session, registry, history } = await withRooms('noarchive');
  const bob = await peer('bob');
  const room = await createRoom(bob, 'Bob', { archive: false });
  const info = parseRoomInfo(await session.conn.iq(buildDiscoInfoGet(room)));
  assert.equal(info?.mam, false, 'archiving is off');
  await say(bob, room, 'h1');
  await say(bob, room, 'h2');
  await registry.join(room, 'Alice');
  await until(async () => (await rows(session, room)).length === 2, 'join history');
  await registry.leave(room);
  await say(bob, room, 'h3');
  const since = await history.joinHistory(room, registry.get(room)!.features);
  assert.equal(since.kind, 'since');
  await registry.join(room, 'Alice');
  await until(async () => (await rows(session, room)).length === 3, 'history since');
  await say(bob, room, 'h4');
  await until(async () => (await rows(session, room)).length === 4, 'live');
  await session.drainInbound();
  assert.deepEqual((await rows(session, room)).map((r) => r.body), ['h1', 'h2', 'h3', 'h4']);
});

test('corrections and reactions in a room: from the same occupant only; moderation tombstones the row', async () => {
  const { user, session, registry } = await withRooms('mutate');
  const bob = await peer('bob');
  const carol = await peer('carol');
  const room = await createRoom(bob, 'Bob');
  await carol.sendRaw(buildJoin({ room, nick: 'Carol', history: { kind: 'none' } })!);
  await registry.join(room, 'Alice');
  await until(async () => registry.get(room)!.occupant('Carol') !== undefined, 'Carol present');

  const id = await say(bob, room, 'teh original');
  const orig = await user.tab.waitFor('message', (e) => e.message.body === 'teh original');
  // Carol tries to correct Bob's message: refused.
  await say(carol, room, 'carol rewrote it', [xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id })]);
  // Bob corrects it: applied.
  await say(bob, room, 'the original', [xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id })]);
  const corrected = await user.tab.waitFor('message', (e) => e.message.id === orig.message.id && e.message.body === 'the original');
  assert.equal(corrected.message.version, 1);

  // Carol reacts to Bob's message by its room stanza-id.
  await carol.sendRaw(xml('message', { to: room, type: 'groupchat', id: randomUUID() },
    xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: orig.message.stanzaId! }, xml('reaction', {}, '👍')), xml('store', { xmlns: 'urn:xmpp:hints' })));
  const reacted = await user.tab.waitFor('reactions', (e) => e.id === orig.message.id && e.reactions.length === 1);
  assert.deepEqual(reacted.reactions, [{ emoji: '👍', from: ['Carol'] }]);

  // Bob (owner, moderator) removes Carol's message.
  const spamId = await say(carol, room, 'spam spam');
  const spam = await user.tab.waitFor('message', (e) => e.message.body === 'spam spam');
  void spamId;
  const info = parseRoomInfo(await bob.conn.iq(buildDiscoInfoGet(room)));
  assert.ok(info?.moderation !== null && info?.moderation !== undefined, 'muc_moderation is loaded');
  assert.equal((await bob.conn.iq(buildModerate(room, spam.message.stanzaId!, info.moderation, 'no spam')!)).attrs.type, 'result');
  const moderated = await user.tab.waitFor('moderated', (e) => e.id === spam.message.id);
  assert.equal(moderated.reason, 'no spam');
  await session.drainInbound();
  const all = await rows(session, room);
  const tomb = all.find((r) => r.id === spam.message.id)!;
  assert.equal(tomb.body, null);
  assert.ok(tomb.moderatedAt);
  // Nothing else became a row: the correction attempts, the reaction and the moderation are not messages.
  assert.deepEqual(all.map((r) => r.body), ['the original', null]);
});

test('from a tab in a room: correct our message, react to Bob\'s, retract ours: sent as groupchat, the reflections change nothing more', async () => {
  const { user, session, registry } = await withRooms('tabmut');
  const bob = await peer('bob');
  const room = await createRoom(bob, 'Bob');
  await registry.join(room, 'Alice');
  const sent = await user.tab.command('send', { to: room, body: 'typo hree', originId: randomUUID() });
  await user.tab.waitFor('message', (e) => e.message.id === sent.message.id && e.message.state === 'sent');
  const fixed = await user.tab.command('correct', { peer: room, id: sent.message.id, body: 'typo here', originId: randomUUID() });
  assert.equal(fixed.message.body, 'typo here');
  const atBob = await bob.waitForMessage((el) => el.getChildText('body') === 'typo here');
  assert.equal(atBob.attrs.type, 'groupchat');
  assert.ok(atBob.getChild('replace', 'urn:xmpp:message-correct:0'));

  await say(bob, room, 'react to this');
  const bobs = await user.tab.waitFor('message', (e) => e.message.body === 'react to this');
  const mine = await user.tab.command('react', { peer: room, id: bobs.message.id, emojis: ['🎉'] });
  assert.deepEqual(mine.reactions, [{ emoji: '🎉', from: [user.jid] }]);
  const reactionAtBob = await bob.waitForMessage((el) => el.getChild('reactions', 'urn:xmpp:reactions:0') !== undefined);
  assert.equal(reactionAtBob.attrs.type, 'groupchat');
  assert.equal(reactionAtBob.getChild('reactions', 'urn:xmpp:reactions:0')!.attrs.id, bobs.message.stanzaId, 'reactions in a room name the room stanza-id');

  await user.tab.command('retract', { peer: room, id: sent.message.id });
  await bob.waitForMessage((el) => el.attrs.type === 'groupchat' && el.getChild('retract', 'urn:xmpp:message-retract:1') !== undefined);
  await session.drainInbound();
  // Our reflections (correction, reaction, retraction) are no messages and no second reactor.
  const all = await rows(session, room);
  assert.deepEqual(all.map((r) => r.body), [null, 'react to this']);
  const reactions = await session.context.stores.reactions.forMessages([bobs.message.id]);
  assert.deepEqual(reactions.map((r) => [r.reactor, r.emojis]), [[user.jid, ['🎉']]]);
});

test('bad input: a groupchat not from the room, a stanza-id claiming another room, a huge body: nothing lands in the wrong conversation', async () => {
  const { user, session, registry } = await withRooms('bad');
  const bob = await peer('bob');
  const room = await createRoom(bob, 'Bob');
  await registry.join(room, 'Alice');
  const full = session.conn.jid!;
  // Bob writes "groupchat" straight to Alice, not through the room.
  await bob.sendRaw(xml('message', { to: full, type: 'groupchat', id: randomUUID() }, xml('body', {}, 'not from a room')));
  // Bob's room message carries a stanza-id claiming another room's archive.
  await say(bob, room, 'claims another id', [xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: `other@${stack.prosody.mucDomain}`, id: 'evil' })]);
  const big = 'x'.repeat(150_000);
  await say(bob, room, big);
  await user.tab.waitFor('message', (e) => e.message.body?.length === big.length);
  await session.drainInbound();
  const all = await rows(session, room);
  assert.deepEqual(all.map((r) => r.body?.slice(0, 20)), ['claims another id', 'x'.repeat(20)]);
  assert.notEqual(all[0]!.stanzaId, 'evil');
  assert.ok(all[0]!.stanzaId);
  assert.equal((await rows(session, bob.conn.bareJid)).length, 0);
  assert.equal((await rows(session, `other@${stack.prosody.mucDomain}`)).length, 0);
});

test('MUC-PM: its own conversation under the occupant JID, both ways; never a direct chat', async () => {
  const { user, session, registry } = await withRooms('pm');
  const bob = await peer('bob');
  const room = await createRoom(bob, 'Bob');
  await registry.join(room, 'Alice');
  await bob.sendRaw(xml('message', { to: `${room}/Alice`, type: 'chat', id: randomUUID() }, xml('body', {}, 'psst'), xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' })));
  const pm = await user.tab.waitFor('message', (e) => e.message.body === 'psst');
  assert.equal(pm.message.peer, `${room}/Bob`);
  const sent = await user.tab.command('send', { to: `${room}/Bob`, body: 'psst back', originId: randomUUID() });
  const atBob = await bob.waitForMessage((el) => el.getChildText('body') === 'psst back');
  assert.equal(String(atBob.attrs.from), `${room}/Alice`);
  await user.tab.waitFor('message', (e) => e.message.id === sent.message.id && e.message.state === 'sent');
  await session.drainInbound();
  assert.equal((await rows(session, `${room}/Bob`)).length, 2);
  assert.equal((await rows(session, room)).length, 0);
  assert.equal((await rows(session, bob.conn.bareJid)).length, 0);
});
