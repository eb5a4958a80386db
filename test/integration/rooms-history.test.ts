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

/** The registry's part, reduced to what RoomHistory needs: occupants from presence, joined() on self-presence. */
class StandInRegistry implements Pick<RoomRegistryPort, 'get' | 'list'> {
  readonly rooms = new Map<string, { view: RoomView; occupants: Map<string, Occupant>; state: RoomView['state']; selfSeen: number }>();
  history!: RoomHistory;

  constructor(private readonly session: AccountSession) {
    session.conn.on('stanza', (el: Element) => this.onStanza(el));
  }

  get(room: string): RoomView | undefined {
    return this.rooms.get(room)?.view;
  }
  list(): RoomView[] {
    return [...this.rooms.values()].map((r) => r.view);
  }

  async join(room: string, nick: string): Promise<void> {
    const info = parseRoomInfo(await this.session.conn.iq(buildDiscoInfoGet(room)));
    assert.ok(info, 'room info');
    const features: RoomFeaturesDTO = {
      membersOnly: info.membersOnly, nonAnonymous: info.nonAnonymous, persistent: info.persistent, passwordProtected: info.passwordProtected,
      public: info.isPublic, moderated: info.moderated, mam: info.mam, moderation: info.moderation !== null,
    };
    const occupants = new Map<string, Occupant>();
    const entry = this.rooms.get(room) ?? {
      occupants,
      state: 'joining' as RoomView['state'],
      selfSeen: 0,
      view: {
        jid: room, nick, features,
        get state() { return entry.state; },
        occupant: (n: string) => entry.occupants.get(n),
        realJids: () => [],
      } as RoomView,
    };
    entry.state = 'joining';
    entry.occupants.clear();
    (entry.view as { features: RoomFeaturesDTO }).features = features;
    this.rooms.set(room, entry);
    const seen = entry.selfSeen;
    const history = await this.history.joinHistory(room, features);
    await this.session.conn.send(buildJoin({ room, nick, history })!);
    await until(async () => entry.selfSeen > seen, `self-presence in ${room}`);
  }

  async leave(room: string): Promise<void> {
    const entry = this.rooms.get(room)!;
    await this.session.conn.send(buildLeave(room, entry.view.nick)!);
    await until(async () => entry.state === 'left', 'left');
  }

  private onStanza(el: Element): void {
    if (el.name === 'presence') {
      const p = parseOccupantPresence(el);
      if (!p || p.kind !== 'occupant') return;
      const entry = this.rooms.get(p.occupant.room);
      if (!entry) return;
      if (p.occupant.available) entry.occupants.set(p.occupant.nick, p.occupant);
      else entry.occupants.delete(p.occupant.nick);
      if (p.self) {
        entry.state = p.occupant.available ? 'joined' : 'left';
        if (p.occupant.available) this.history.joined(entry.view.jid, entry.view.features);
        entry.selfSeen++;
      }
      return;
    }
    if (el.name !== 'message') return;
    const from = String(el.attrs.from ?? '');
    const bare = from.split('/')[0]!.toLowerCase();
    if (el.attrs.type === 'groupchat' && this.rooms.has(bare)) void this.history.receive(el, new Date());
    else if (mucPmOf(el, (b) => this.rooms.has(b))) void this.history.receive(el, new Date());
  }
}

function parleySession(user: LoggedIn): AccountSession {
  return stack.parley.sessions.sessions().find((s) => s.jid === user.jid)!;
}

async function withRooms(prefix: string) {
  const user = await stack.loggedIn(prefix);
  const session = parleySession(user);
  const registry = new StandInRegistry(session);
  const history = new RoomHistory(session.context, registry as unknown as RoomRegistryPort, session.messages);
  registry.history = history;
  session.claimRoomArchive = (el) => history.claimArchiveResult(el);
  return { user, session, registry, history };
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
  const { mentions } = { mentions: await registry.history.mentions(room) };
  assert.equal(mentions, 1);
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
