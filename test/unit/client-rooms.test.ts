/** The tab's room state: hello, room events, occupant lists and deltas, grouping, mentions, presence-line coalescing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppState, rosterEntries } from '../../client/state/app-state.js';
import { COALESCE_MS, MAX_INVITATIONS, NAMED_NICKS, groupOccupants, roomName, splitOccupantJid } from '../../client/state/rooms.js';
import { roomSections } from '../../client/state/room-list.js';
import type { HelloEvent, InvitationDTO, MessageDTO, OccupantDTO, OccupantsDeltaDTO, RoomDTO } from '../../server/realtime/contract.js';

const ME = 'alice@example.org';
const ROOM = 'lounge@conference.example.org';

function room(extra: Partial<RoomDTO> = {}): RoomDTO {
  return {
    jid: ROOM,
    name: 'Lounge',
    description: null,
    nick: 'alice',
    state: 'joined',
    error: null,
    subject: null,
    subjectBy: null,
    role: 'participant',
    affiliation: 'member',
    features: { membersOnly: false, nonAnonymous: false, persistent: true, passwordProtected: false, public: true, moderated: false, mam: true, moderation: false },
    omemo: { allowed: false, reason: 'anonymous room' },
    occupantCount: 0,
    bookmarked: true,
    autojoin: true,
    unread: 0,
    mentions: 0,
    ...extra,
  };
}

function occupant(nick: string, extra: Partial<OccupantDTO> = {}): OccupantDTO {
  return { nick, role: 'participant', affiliation: 'none', jid: null, show: 'available', status: null, occupantId: null, avatar: null, ...extra };
}

function msg(id: number, peer: string, extra: Partial<MessageDTO> = {}): MessageDTO {
  return {
    id: String(id),
    peer,
    direction: 'in',
    from: peer,
    to: ME,
    body: `m${id}`,
    encrypted: null,
    stamp: new Date(Date.UTC(2024, 0, 1, 12, 0, id)).toISOString(),
    state: 'received',
    originId: null,
    stanzaId: null,
    ...extra,
  };
}

function hello(extra: Partial<HelloEvent> = {}): HelloEvent {
  return {
    account: ME,
    resource: `${ME}/parley`,
    connection: 'online',
    contacts: [],
    presences: [],
    conversations: [],
    own: { show: 'available', status: null },
    subscriptions: { incoming: [], outgoing: [] } as unknown as HelloEvent['subscriptions'],
    avatars: [],
    rooms: [],
    invitations: [],
    ...extra,
  };
}

function delta(extra: Partial<OccupantsDeltaDTO> = {}): OccupantsDeltaDTO {
  return { room: ROOM, present: [], gone: [], count: 0, joined: { nicks: [], total: 0 }, left: { nicks: [], total: 0 }, ...extra };
}

function invitation(id: string, extra: Partial<InvitationDTO> = {}): InvitationDTO {
  return { id, kind: 'direct', room: ROOM, from: 'bob@example.org', reason: null, hasPassword: false, at: '2024-01-01T12:00:00.000Z', stranger: false, ...extra };
}

test('the hello carries rooms and invitations; room/roomRemoved events change them', () => {
  const state = new AppState();
  state.apply('hello', hello({ rooms: [room({ mentions: 2, unread: 5 })], invitations: [invitation('i1')] }));
  assert.equal(state.rooms.get(ROOM)?.name, 'Lounge');
  assert.equal(state.rooms.mentions(ROOM), 2);
  assert.deepEqual(state.rooms.invitations().map((i) => i.id), ['i1']);

  const other = 'dev@conference.example.org';
  state.apply('room', { room: room({ jid: other, name: null, state: 'joining' }) });
  assert.deepEqual(state.rooms.all().map(roomName), ['dev', 'Lounge'], 'by name; a room without one by its local part');
  state.apply('room', { room: room({ jid: other, name: 'Dev', state: 'joined' }) });
  assert.equal(state.rooms.get(other)?.state, 'joined');

  state.apply('message', { message: msg(1, other, { nick: 'bob' }) });
  state.apply('roomRemoved', { jid: other });
  assert.equal(state.rooms.get(other), undefined);
  assert.equal(state.conversations.get(other), undefined, 'its conversation leaves the sidebar too');
  assert.equal(state.messages.get(other).messages.length, 0);

  state.apply('invitation', { invitation: invitation('i2') });
  state.apply('invitation', { invitation: invitation('i2', { reason: 'again' }) });
  assert.deepEqual(state.rooms.invitations().map((i) => [i.id, i.reason]), [['i1', null], ['i2', 'again']], 'one per id');
  state.apply('invitationGone', { id: 'i1' });
  assert.deepEqual(state.rooms.invitations().map((i) => i.id), ['i2']);
  for (let i = 0; i < 500; i++) state.apply('invitation', { invitation: invitation(`flood${i}`, { stranger: true }) });
  assert.equal(state.rooms.invitations().length, MAX_INVITATIONS, 'a flood is bounded');
  assert.equal(state.rooms.invitations().at(-1)?.id, 'flood499', 'the newest kept');

  state.apply('hello', hello({ rooms: [], invitations: [] }));
  assert.equal(state.rooms.all().length, 0, 'a new hello replaces everything');
  assert.equal(state.rooms.invitations().length, 0);
});

test('occupants: the full list, then deltas (joins, changes, leaves, nick changes); counts follow', () => {
  const state = new AppState();
  state.apply('hello', hello({ rooms: [room({ occupantCount: 2 })] }));
  state.apply('occupants', delta({ present: [occupant('ann')], count: 3 }));
  assert.equal(state.rooms.hasOccupants(ROOM), false, 'a delta before the list is not a list');
  assert.equal(state.rooms.get(ROOM)?.occupantCount, 3, 'but the count follows');

  state.rooms.setOccupants(ROOM, [occupant('alice'), occupant('bob', { role: 'moderator', affiliation: 'owner' }), occupant('ann')]);
  state.apply('occupants', delta({ present: [occupant('cy', { role: 'visitor' }), occupant('ann', { show: 'away' })], gone: [], count: 4, joined: { nicks: ['cy'], total: 1 } }));
  assert.equal(state.rooms.occupant(ROOM, 'ann')?.show, 'away', 'a change replaces the occupant');
  state.apply('occupants', delta({ present: [occupant('robert', { role: 'moderator', affiliation: 'owner' })], gone: ['bob'], count: 4 }));
  assert.equal(state.rooms.occupant(ROOM, 'bob'), undefined, 'a nick change: the old nick gone');
  const groups = state.rooms.groups(ROOM).map((g) => [g.role, g.occupants.map((o) => o.nick)]);
  assert.deepEqual(groups, [
    ['moderator', ['robert']],
    ['participant', ['alice', 'ann']],
    ['visitor', ['cy']],
  ]);
  assert.equal(state.rooms.occupantCount(ROOM), 4);
  assert.equal(state.rooms.get(ROOM)?.occupantCount, 4);

  state.apply('hello', hello({ rooms: [room()] }));
  assert.equal(state.rooms.hasOccupants(ROOM), false, 'after a reconnect the list is asked again');
});

test('5,000 occupants: the list, a 5,000-presence delta, grouping by role and nick, sorted once per change', () => {
  const state = new AppState();
  state.apply('hello', hello({ rooms: [room()] }));
  const roles = ['moderator', 'participant', 'participant', 'visitor'] as const;
  const list = Array.from({ length: 5000 }, (_, i) => occupant(`user${i}`, { role: roles[i % 4]! }));
  state.rooms.setOccupants(ROOM, list);
  assert.equal(state.rooms.occupantCount(ROOM), 5000);
  const groups = state.rooms.groups(ROOM);
  assert.deepEqual(groups.map((g) => [g.role, g.occupants.length]), [['moderator', 1250], ['participant', 2500], ['visitor', 1250]]);
  assert.equal(groups[0]!.occupants[0]!.nick, 'user0');
  assert.equal(groups[0]!.occupants[1]!.nick, 'user4', 'numeric order: user4 before user1000');
  assert.equal(state.rooms.groups(ROOM), groups, 'unchanged: the same groups, not sorted again');

  const started = performance.now();
  state.apply('occupants', delta({
    present: Array.from({ length: 2500 }, (_, i) => occupant(`new${i}`)),
    gone: Array.from({ length: 2500 }, (_, i) => `user${i * 2}`),
    count: 5000,
    joined: { nicks: Array.from({ length: 20 }, (_, i) => `new${i}`), total: 2500 },
    left: { nicks: ['user0'], total: 2500 },
  }));
  const regrouped = state.rooms.groups(ROOM);
  const ms = performance.now() - started;
  assert.equal(state.rooms.occupantCount(ROOM), 5000);
  assert.equal(regrouped.reduce((n, g) => n + g.occupants.length, 0), 5000);
  assert.ok(ms < 500, `applying and grouping 5,000 changes took ${ms.toFixed(0)} ms`);
});

test('grouping leaves out role none and empty groups; ties by nick are stable', () => {
  const groups = groupOccupants([occupant('Zed'), occupant('amy'), occupant('gone', { role: 'none' })]);
  assert.deepEqual(groups.map((g) => [g.role, g.occupants.map((o) => o.nick)]), [['participant', ['amy', 'Zed']]]);
});

test('mentions: counted from the snapshot and live, one per message, cleared by a read; the next room event is authoritative', () => {
  const state = new AppState();
  state.apply('hello', hello({ rooms: [room({ mentions: 1, unread: 3 })], conversations: [{ peer: ROOM, kind: 'room', last: msg(3, ROOM, { nick: 'bob' }), unread: 3 }] }));
  state.apply('message', { message: msg(4, ROOM, { nick: 'bob', mentionsMe: true }) });
  state.apply('message', { message: msg(4, ROOM, { nick: 'bob', mentionsMe: true, stanzaId: 'x' }) });
  state.apply('message', { message: msg(5, ROOM, { nick: 'bob' }) });
  state.apply('message', { message: msg(6, ROOM, { nick: 'alice', direction: 'out', state: 'sent', mentionsMe: true }) });
  assert.equal(state.rooms.mentions(ROOM), 2, 'snapshot 1 + one live; a repeat and our own message do not count');
  assert.equal(state.conversations.get(ROOM)?.unread, 5);
  state.apply('read', { peer: ROOM, upTo: '4' });
  assert.equal(state.rooms.mentions(ROOM), 0);
  state.apply('message', { message: msg(7, ROOM, { nick: 'bob', mentionsMe: true }) });
  assert.equal(state.rooms.mentions(ROOM), 1);
  state.apply('room', { room: room({ mentions: 1, unread: 2 }) });
  assert.equal(state.rooms.mentions(ROOM), 1, 'the server count includes the live ones: not added twice');
});

test('rooms and MUC-PMs are never contacts; PMs are listed apart from a direct chat with the same name', () => {
  const state = new AppState();
  const pm = `${ROOM}/Bob`;
  state.apply('hello', hello({
    rooms: [room()],
    contacts: [{ jid: 'bob@example.org', name: 'Bob', subscription: 'both', ask: false, groups: [] }],
    conversations: [
      { peer: ROOM, kind: 'room', last: msg(1, ROOM, { nick: 'bob' }), unread: 1 },
      { peer: 'bob@example.org', kind: 'chat', last: msg(2, 'bob@example.org'), unread: 0 },
    ],
  }));
  state.apply('message', { message: msg(3, pm, { nick: 'Bob' }) });
  // A room we are not in, whose message arrives before its room event: not a contact either once the room is known.
  assert.deepEqual(rosterEntries(state).map((e) => e.jid), ['bob@example.org']);
  assert.equal(state.conversations.get(pm)?.kind, 'pm');
  assert.equal(state.conversations.get(ROOM)?.kind, 'room');
  const sections = roomSections(state);
  assert.deepEqual(sections.rooms.map((r) => [r.jid, r.unread]), [[ROOM, 1]]);
  assert.deepEqual(sections.pms.map((p) => [p.peer, p.nick, p.roomName, p.unread]), [[pm, 'Bob', 'Lounge', 1]]);
  assert.deepEqual(splitOccupantJid(pm), { room: ROOM, nick: 'Bob' });
  assert.equal(splitOccupantJid('bob@example.org'), null);
});

test('presence lines: deltas within the window coalesce, nicks named once and bounded, totals summed; later ones start a new line', () => {
  const state = new AppState();
  state.apply('hello', hello({ rooms: [room()] }));
  const t0 = new Date('2024-01-01T12:00:00Z');
  state.rooms.applyDelta(delta({ joined: { nicks: ['Ann', 'Bob'], total: 2 } }), t0);
  state.rooms.applyDelta(delta({ joined: { nicks: Array.from({ length: 20 }, (_, i) => `n${i}`), total: 40 }, left: { nicks: ['Bob'], total: 1 } }), new Date(t0.getTime() + 100));
  state.rooms.applyDelta(delta({ joined: { nicks: ['Ann'], total: 1 } }), new Date(t0.getTime() + 200));
  state.rooms.applyDelta(delta({ present: [occupant('x', { show: 'away' })] }), new Date(t0.getTime() + 300));
  let lines = state.rooms.presenceLines(ROOM);
  assert.equal(lines.length, 1, 'a presence change without joins or leaves adds no line');
  assert.equal(lines[0]!.joined.total, 43);
  assert.equal(lines[0]!.joined.nicks.length, NAMED_NICKS);
  assert.deepEqual(lines[0]!.joined.nicks.slice(0, 3), ['Ann', 'Bob', 'n0']);
  assert.deepEqual(lines[0]!.left, { nicks: ['Bob'], total: 1 });
  assert.equal(lines[0]!.at, t0.toISOString());

  state.rooms.applyDelta(delta({ left: { nicks: ['Cy'], total: 1 } }), new Date(t0.getTime() + 300 + COALESCE_MS + 1));
  lines = state.rooms.presenceLines(ROOM);
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1]!.left, { nicks: ['Cy'], total: 1 });

  for (let i = 0; i < 200; i++) state.rooms.applyDelta(delta({ joined: { nicks: ['z'], total: 1 } }), new Date(t0.getTime() + (i + 2) * (COALESCE_MS + 1)));
  assert.equal(state.rooms.presenceLines(ROOM).length, 50, 'bounded per room');
  state.rooms.applyDelta({ ...delta({ joined: { nicks: ['q'], total: 1 } }), room: 'unknown@conference.example.org' });
  assert.equal(state.rooms.presenceLines('unknown@conference.example.org').length, 0, 'a room we are not in keeps nothing');
});

test('moderated: the message keeps its place, its text is gone, the tombstone says who', () => {
  const state = new AppState();
  state.apply('hello', hello({ rooms: [room()] }));
  state.apply('message', { message: msg(1, ROOM, { nick: 'bob', body: 'spam' }) });
  state.apply('moderated', { room: ROOM, id: '1', by: 'mod', reason: 'spam' });
  const [m] = state.messages.get(ROOM).messages;
  assert.equal(m?.body, null);
  assert.deepEqual(m?.moderated, { by: 'mod', reason: 'spam' });
  state.apply('moderated', { room: ROOM, id: '999', by: null, reason: null });
  assert.equal(state.messages.get(ROOM).messages.length, 1, 'an unknown id changes nothing');
});

test('xmpp: join links and the #join route: the room, only for the join action; MUC-PM hashes keep the nick', async () => {
  const { roomFromJoinUri, peerFromHash, hashForPeer } = await import('../../client/app/router.js');
  assert.equal(roomFromJoinUri('xmpp:Berlin-Meetup@conference.conversations.im?join'), 'berlin-meetup@conference.conversations.im');
  assert.equal(roomFromJoinUri('lounge@conference.example.org'), 'lounge@conference.example.org');
  assert.equal(roomFromJoinUri('  xmpp:lounge%40conference.example.org?join;password=x '), 'lounge@conference.example.org');
  assert.equal(roomFromJoinUri('xmpp://alice@example.org/lounge@conference.example.org?join'), 'lounge@conference.example.org');
  assert.equal(roomFromJoinUri('xmpp:bob@example.org?message;body=hi'), null, 'another action is not a join');
  assert.equal(roomFromJoinUri('xmpp:lounge@conference.example.org/nick?join'), null, 'a full JID is not a room');
  assert.equal(roomFromJoinUri('javascript:alert(1)'), null);
  assert.equal(roomFromJoinUri('%E0%A4%A'), null, 'bad escapes are refused, not thrown');
  assert.equal(peerFromHash('#chat/Lounge@Conference.example.org/Bob%20Smith'), 'lounge@conference.example.org/Bob Smith');
  assert.equal(peerFromHash('#chat/Bob@Example.org'), 'bob@example.org');
  assert.equal(peerFromHash('#chat/lounge@conference.example.org/'), null);
  const pm = 'lounge@conference.example.org/Ann/with slash';
  assert.equal(peerFromHash(hashForPeer(pm)), pm, 'a nick with a slash survives the round trip');
});

test('presence line text: a few names, then the others counted', async () => {
  const { presenceLineText } = await import('../../client/ui/rooms/presence-line.js');
  const line = (joined: string[], jt: number, left: string[] = [], lt = 0) => ({ key: 'k', room: ROOM, at: '', until: '', joined: { nicks: joined, total: jt }, left: { nicks: left, total: lt } });
  assert.equal(presenceLineText(line(['Ann'], 1)), 'Ann joined');
  assert.equal(presenceLineText(line(['Ann', 'Bob'], 42)), 'Ann, Bob and 40 others joined');
  assert.equal(presenceLineText(line(['Ann', 'Bob', 'Cy', 'Di'], 4, ['Ed'], 1)), 'Ann, Bob, Cy and 1 other joined · Ed left');
  assert.equal(presenceLineText(line([], 0, [], 3)), 'and 3 others left');
});

test('notifications: every direct message, in rooms only mentions of our nick, MUC-PMs titled as private messages', async () => {
  const { notificationTitle } = await import('../../client/notify/coordinator.js');
  const names = {
    contact: (jid: string) => `contact ${jid}`,
    room: (jid: string) => (jid === ROOM ? 'Lounge' : jid),
    mention: (nick: string, r: string) => `${nick} mentioned you in ${r}`,
    pm: (nick: string, r: string) => `PM from ${nick} in ${r}`,
  };
  assert.equal(notificationTitle({ peer: 'bob@example.org' }, 'chat', names), 'contact bob@example.org');
  assert.equal(notificationTitle({ peer: ROOM, nick: 'bob' }, 'room', names), null, 'room chatter does not notify');
  assert.equal(notificationTitle({ peer: ROOM, nick: 'bob', mentionsMe: true }, 'room', names), 'bob mentioned you in Lounge');
  assert.equal(notificationTitle({ peer: `${ROOM}/bob`, nick: 'bob' }, 'pm', names), 'PM from bob in Lounge');
});
