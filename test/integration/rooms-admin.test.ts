/**
 * Rooms administration against a real Prosody 0.12 (muc, muc_mam, muc_moderation) through real Parley sessions and
 * their tabs: bookmarks kept in step with another client of the same account, rooms created with both presets and
 * configured, invitations (direct, mediated, a stranger's flood), roles and affiliations, message moderation.
 * The room registry belongs to rooms-core: until it is merged, a small stand-in below joins with buildJoin over the
 * session's own connection and is attached to the session as the registry would be.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestStack, type LoggedIn } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { until } from '../harness/poll.js';
import type { XmppConnection } from '../../server/xmpp/connection.js';
import type { AccountSession } from '../../server/xmpp/account-session.js';
import type { RoomsAdministration } from '../../server/features/rooms/administration.js';
import {
  buildDiscoInfoGet, buildDiscoItemsGet, buildGroupchat, buildInstantRoom, buildJoin, buildMediatedInvite, buildDirectInvite, parseDecline,
  parseDiscoInfo, parseDiscoItems, parseGroupchat, parseModeration, parseOccupantPresence, parseRoomInfo, type Occupant, type RoomInfo,
} from '../../server/stanza/muc.js';
import {
  buildBookmark2Publish, buildBookmark2Retract, buildBookmarks2Get, buildPrivateBookmarksGet, buildPrivateBookmarksSet, parseBookmarks2, parsePrivateBookmarks,
} from '../../server/stanza/bookmarks.js';
import { parseItems } from '../../server/stanza/pubsub.js';
import { Inbox } from '../harness/inbox.js';

let stack: TestStack;

before(async () => {
  stack = await TestStack.start({ prosody: { muc: true } });
});
after(async () => {
  await stack?.close();
});

interface Account extends LoggedIn {
  session: AccountSession;
  registry: AccountSession['rooms'];
  parts: RoomsAdministration;
}

async function account(prefix: string): Promise<Account> {
  const user = await stack.loggedIn(prefix);
  const session = stack.parley.sessions.byAccountId(user.accountId)!;
  return { ...user, session, registry: session.rooms, parts: session.roomsAdmin! };
}

const mucDomain = () => stack.prosody.mucDomain;
const roomName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@${mucDomain()}`;

async function roomInfo(peer: XmppPeer | XmppConnection, room: string): Promise<RoomInfo> {
  const conn = 'conn' in peer ? peer.conn : peer;
  const info = parseRoomInfo(await conn.iq(buildDiscoInfoGet(room)));
  assert.ok(info, `${room} is a room`);
  return info;
}

async function rawFeatures(conn: XmppConnection, room: string): Promise<string[]> {
  return parseDiscoInfo(await conn.iq(buildDiscoInfoGet(room)))!.features;
}

async function bookmarksOf(peer: XmppPeer) {
  return parseBookmarks2(parseItems(await peer.conn.iq(buildBookmarks2Get(peer.conn.bareJid))));
}

test('bookmarks: a room bookmarked by another client of the account is joined; a join here is seen there, extensions kept; a retraction leaves', async () => {
  const alice = await account('bm-alice');
  assert.equal(alice.parts.bookmarks.kind, 'pep', 'Prosody 0.12 with mod_bookmarks offers XEP-0402');
  // "Conversations": the same account, another resource, publishing to urn:xmpp:bookmarks:1 with an extension of its own.
  const other = await XmppPeer.login(stack.prosody, alice.jid, alice.password, 'conversations');
  try {
    const room = roomName('bm');
    // The room exists first (someone made it): Bob's peer creates an instant room.
    const bob = await stack.newUser('bm-bob');
    const owner = await XmppPeer.login(stack.prosody, bob.jid, bob.password);
    await owner.sendRaw(buildJoin({ room, nick: 'Owner', history: { kind: 'none' } })!);
    // Stanzas are handled in order: the join creates the room, the instant-room submit unlocks it.
    await owner.conn.iq(buildInstantRoom(room)!);

    const ext = '<extensions xmlns="urn:xmpp:bookmarks:1"><pinned xmlns="urn:example:other-client"/></extensions>';
    await other.conn.iq(buildBookmark2Publish({ room, name: 'Book club', autojoin: true, nick: 'AliceC', password: null, extensions: ext }));
    await until(async () => alice.registry.get(room)?.state === 'joined', 'Parley joined the room bookmarked by the other client');
    assert.equal(alice.registry.get(room)!.nick, 'AliceC');
    assert.equal(alice.registry.dto(room)!.bookmarked, true);
    assert.equal(alice.registry.dto(room)!.name, 'Book club');
    assert.equal(alice.parts.bookmarks.get(room)?.extensions?.includes('urn:example:other-client'), true);

    // Parley changes the bookmark (a join from a tab with another nick): the other client sees it, its extension intact.
    await alice.parts.bookmarks.save({ room, name: null, nick: 'AliceP', password: null, autojoin: true });
    const seen = (await bookmarksOf(other)).find((b) => b.room === room);
    assert.equal(seen?.nick, 'AliceP');
    assert.equal(seen?.name, 'Book club');
    assert.match(seen?.extensions ?? '', /urn:example:other-client/);

    // A room joined from Parley only: bookmarked for the other client.
    const room2 = roomName('bm2');
    await alice.tab.command('roomCreate', { room: room2, preset: 'channel', name: 'Parley made' });
    assert.equal((await bookmarksOf(other)).find((b) => b.room === room2)?.autojoin, true);

    // An old client writing XEP-0048 private storage (Prosody's mod_bookmarks mirrors it into XEP-0402): Parley joins too.
    const room3 = roomName('bm3');
    await owner.sendRaw(buildJoin({ room: room3, nick: 'Owner', history: { kind: 'none' } })!);
    await owner.conn.iq(buildInstantRoom(room3)!);
    const legacy = parsePrivateBookmarks(await other.conn.iq(buildPrivateBookmarksGet()));
    assert.ok(legacy);
    await other.conn.iq(buildPrivateBookmarksSet([...legacy.bookmarks, { room: room3, name: 'Legacy', autojoin: true, nick: 'AliceOld', password: null, extensions: null }], legacy.others));
    await until(async () => alice.registry.get(room3)?.state === 'joined', 'Parley joined the room an XEP-0048 client bookmarked');
    assert.equal(alice.registry.get(room3)!.nick, 'AliceOld');

    // The other client removes the first bookmark: Parley leaves the room and marks it not bookmarked.
    await other.conn.iq(buildBookmark2Retract(room));
    await until(async () => alice.registry.get(room)?.state === 'left' && alice.registry.dto(room)?.bookmarked === false, 'Parley left the unbookmarked room');
    await until(async () => !(await roomOccupantNicks(owner, room)).includes('AliceP'), 'the room no longer lists Parley');
    await owner.stop();
  } finally {
    await other.stop();
  }
});

async function roomOccupantNicks(peer: XmppPeer, room: string): Promise<string[]> {
  const items = parseDiscoItems(await peer.conn.iq(buildDiscoItemsGet(room)));
  return (items?.items ?? []).map((i) => i.jid.split('/')[1] ?? '');
}

test('roomCreate: the private group and the channel presets as the room\'s disco#info says; members added; an existing room refused', async () => {
  const alice = await account('cr-alice');
  const bob = await account('cr-bob');
  const group = roomName('group');
  const created = await alice.tab.command('roomCreate', { room: group, preset: 'group', name: 'Family <b>', members: [bob.jid] });
  assert.equal(created.room.jid, group);
  assert.equal(created.room.affiliation, 'owner');
  const g = await rawFeatures(alice.session.conn, group);
  for (const f of ['muc_membersonly', 'muc_nonanonymous', 'muc_persistent', 'muc_hidden']) assert.ok(g.includes(f), `${f} in ${g.join(' ')}`);
  assert.equal((await roomInfo(alice.session.conn, group)).name, 'Family <b>');
  const published = parseBookmarks2(parseItems(await alice.session.conn.iq(buildBookmarks2Get(alice.jid)))).find((b) => b.room === group);
  assert.deepEqual([published?.name, published?.autojoin], ['Family <b>', true], 'the new room is bookmarked with autojoin');
  const members = await alice.tab.command('roomAffiliations', { room: group, affiliation: 'member' });
  assert.deepEqual(members.items.map((i) => i.jid), [bob.jid]);

  const channel = roomName('channel');
  await alice.tab.command('roomCreate', { room: channel, preset: 'channel' });
  const c = await rawFeatures(alice.session.conn, channel);
  for (const f of ['muc_public', 'muc_open', 'muc_semianonymous', 'muc_persistent']) assert.ok(c.includes(f), `${f} in ${c.join(' ')}`);

  // Bob tries to create Alice's room: it exists.
  const again = await bob.tab.rawCommand('roomCreate', { room: channel, preset: 'group' });
  assert.equal(again.ok, false);
  assert.match(again.error!, /exists already/);
  assert.equal(bob.registry.get(channel), undefined, 'Bob never joined it');
});

test('roomConfig / roomConfigure: the form round trip, and values the form does not allow refused clearly', async () => {
  const alice = await account('cf-alice');
  const room = roomName('conf');
  await alice.tab.command('roomCreate', { room, preset: 'channel', name: 'Before' });
  const { form } = await alice.tab.command('roomConfig', { room });
  const field = (f: typeof form, v: string) => f.fields.find((x) => x.var === v);
  assert.equal(field(form, 'muc#roomconfig_roomname')?.values[0], 'Before');
  assert.equal(field(form, 'muc#roomconfig_whois')?.type, 'list-single');
  await alice.tab.command('roomConfigure', { room, values: { 'muc#roomconfig_roomname': ['After'], 'muc#roomconfig_roomdesc': ['A <script>x</script> room'], 'muc#roomconfig_whois': ['anyone'] } });
  const again = (await alice.tab.command('roomConfig', { room })).form;
  assert.equal(field(again, 'muc#roomconfig_roomname')?.values[0], 'After');
  assert.equal(field(again, 'muc#roomconfig_roomdesc')?.values[0], 'A <script>x</script> room');
  assert.equal(field(again, 'muc#roomconfig_whois')?.values[0], 'anyone');
  assert.ok((await rawFeatures(alice.session.conn, room)).includes('muc_nonanonymous'));

  const refused = async (values: Record<string, string[]>) => (await alice.tab.rawCommand('roomConfigure', { room, values })).error ?? '';
  assert.match(await refused({ 'muc#roomconfig_nosuch': ['1'] }), /no field/);
  assert.match(await refused({ 'muc#roomconfig_whois': ['everybody'] }), /not one of the options/);
  assert.match(await refused({ 'muc#roomconfig_persistentroom': ['maybe'] }), /yes or no/);
  assert.match(await refused({ 'muc#roomconfig_roomname': ['x'.repeat(4097)] }), /Too big/);
  assert.match(await refused({ 'muc#roomconfig_roomname': ['a', 'b'] }), /takes one value/);

  // Somebody else's room: not the owner.
  const bob = await account('cf-bob');
  await bob.registry.join(room, { nick: 'Bob' });
  const notOwner = await bob.tab.rawCommand('roomConfig', { room });
  assert.equal(notOwner.ok, false);
  assert.match(notOwner.error!, /not allowed/);

  await alice.tab.command('roomDestroy', { room, reason: 'done' });
  // Prosody keeps a tombstone of a destroyed room for a while: <gone/>, else item-not-found.
  await assert.rejects(alice.session.conn.iq(buildDiscoInfoGet(room)), /item-not-found|gone/);
  assert.equal(alice.registry.get(room), undefined, 'left and forgotten');
  assert.equal(alice.parts.bookmarks.get(room), undefined);
  const stored = parseBookmarks2(parseItems(await alice.session.conn.iq(buildBookmarks2Get(alice.jid))));
  assert.equal(stored.some((b) => b.room === room), false, 'the bookmark of the destroyed room is retracted');
});

async function peerOf(prefix: string): Promise<XmppPeer & { inbox: Inbox }> {
  const u = await stack.newUser(prefix);
  const peer = await XmppPeer.login(stack.prosody, u.jid, u.password);
  return Object.assign(peer, { inbox: new Inbox(peer.conn) });
}

async function peerJoins(peer: XmppPeer & { inbox: Inbox }, room: string, nick: string): Promise<void> {
  await peer.sendRaw(buildJoin({ room, nick, history: { kind: 'none' } })!);
  await peer.inbox.next((el) => {
    const p = parseOccupantPresence(el);
    return p?.kind === 'occupant' && p.self && p.occupant.room === room && p.occupant.available;
  }, `${nick}'s self-presence`);
}

test('invitations: direct from a contact (made member first), accepted from one tab, gone from every tab; mediated from a stranger, declined through the room; a stranger flood is capped', async () => {
  const alice = await account('inv-alice');
  const bob = await account('inv-bob');
  await bob.tab.command('addContact', { jid: alice.jid, name: 'Alice' });
  await until(async () => bob.session.roster.has(alice.jid), 'Alice in Bob\'s roster');

  const group = roomName('invgroup');
  await alice.tab.command('roomCreate', { room: group, preset: 'group', name: 'Family' });
  await alice.registry.refresh(group);
  await alice.tab.command('roomInvite', { room: group, jid: bob.jid, reason: 'dinner <b>tonight</b>', mode: 'direct' });
  const { invitation } = await bob.tab.waitFor('invitation', (e) => e.invitation.room === group);
  assert.equal(invitation.kind, 'direct');
  assert.equal(invitation.from, alice.jid);
  assert.equal(invitation.stranger, false);
  assert.equal(invitation.reason, 'dinner <b>tonight</b>');
  // A tab opened now gets it in its hello.
  const bobTab2 = bob.openTab();
  const hello = await bobTab2.waitFor('hello');
  assert.deepEqual(hello.invitations.map((i) => i.id), [invitation.id]);
  const accepted = await bobTab2.command('invitationAnswer', { id: invitation.id, accept: true, nick: 'Bobby' });
  assert.equal(accepted.room?.state, 'joined', 'members-only, yet Bob gets in: Alice made him a member when inviting');
  assert.equal(accepted.room?.nick, 'Bobby');
  await bob.tab.waitFor('invitationGone', (e) => e.id === invitation.id);
  await bobTab2.waitFor('invitationGone', (e) => e.id === invitation.id);
  assert.equal(bob.parts.bookmarks.get(group)?.autojoin, true, 'an accepted invitation is bookmarked like a join');

  // roomMembers: the private group's owners and members plus occupants' real JIDs.
  assert.deepEqual((await alice.tab.command('roomMembers', { room: group })).members, [alice.jid, bob.jid].sort());

  // Mediated, from Carol (a stranger to Bob), through a channel she is in.
  const channel = roomName('invchan');
  await alice.tab.command('roomCreate', { room: channel, preset: 'channel' });
  const members = await alice.tab.rawCommand('roomMembers', { room: channel });
  assert.match(members.error ?? '', /only for private groups/);
  const carol = await peerOf('inv-carol');
  await peerJoins(carol, channel, 'Carol');
  await carol.sendRaw(buildMediatedInvite(channel, bob.jid, 'come <i>along</i>')!);
  const mediated = (await bob.tab.waitFor('invitation', (e) => e.invitation.room === channel)).invitation;
  assert.equal(mediated.kind, 'mediated');
  // A semi-anonymous channel relays it from Carol's occupant JID, not her real one.
  assert.equal(mediated.from, `${channel}/Carol`);
  assert.equal(mediated.stranger, true);
  await bob.tab.command('invitationAnswer', { id: mediated.id, accept: false, reason: 'not now' });
  const decline = parseDecline(await carol.inbox.next((el) => parseDecline(el) !== null, 'the decline relayed by the room'));
  assert.equal(decline?.room, channel);
  assert.equal(decline?.invitee, bob.jid);
  assert.equal(decline?.reason, 'not now');

  // Mallory floods Bob with 100 direct invitations to 100 rooms; a chat message after them marks the end.
  const mallory = await peerOf('inv-mallory');
  for (let i = 0; i < 100; i++) await mallory.sendRaw(buildDirectInvite(bob.jid, `flood${i}@${mucDomain()}`, { reason: `spam ${i}` })!);
  await mallory.sendChat(bob.jid, 'end of flood');
  await bob.tab.waitFor('message', (e) => e.message.body === 'end of flood');
  await bob.session.drainInbound();
  const strangers = bob.tab.events.filter((e) => e.name === 'invitation' && (e.payload as { invitation: { stranger: boolean } }).invitation.stranger);
  assert.equal(strangers.length, 5, 'five strangers\' invitations per ten minutes, Carol\'s included');
  assert.ok(bob.parts.invitations.list().length <= 50);
  await carol.stop();
  await mallory.stop();
});

test('moderation: voice, moderator, member, admin, owner round trips, kick and ban; a participant is refused; XEP-0425 moderation of a message', async () => {
  const alice = await account('mod-alice');
  const bob = await account('mod-bob');
  const room = roomName('mod');
  await alice.tab.command('roomCreate', { room, preset: 'channel' });
  const dave = await peerOf('mod-dave');
  await peerJoins(dave, room, 'Dave');
  await until(async () => alice.registry.get(room)?.occupant('Dave'), 'Alice sees Dave');
  const daveNow = (test: (o: Occupant) => boolean, what: string) => until(async () => {
    const o = alice.registry.get(room)?.occupant('Dave');
    return o && test(o) ? o : null;
  }, what);

  await alice.tab.command('roomSetRole', { room, nick: 'Dave', role: 'visitor', reason: 'calm down' });
  await daveNow((o) => o.role === 'visitor', 'Dave devoiced');
  await alice.tab.command('roomSetRole', { room, nick: 'Dave', role: 'participant' });
  await daveNow((o) => o.role === 'participant', 'Dave voiced');
  await alice.tab.command('roomSetRole', { room, nick: 'Dave', role: 'moderator' });
  await daveNow((o) => o.role === 'moderator', 'Dave a moderator');
  for (const affiliation of ['member', 'admin', 'owner'] as const) {
    await alice.tab.command('roomSetAffiliation', { room, jid: dave.conn.bareJid, affiliation });
    await daveNow((o) => o.affiliation === affiliation, `Dave ${affiliation}`);
    const list = await alice.tab.command('roomAffiliations', { room, affiliation });
    assert.ok(list.items.some((i) => i.jid === dave.conn.bareJid && i.affiliation === affiliation), `${affiliation} list`);
  }
  await alice.tab.command('roomSetAffiliation', { room, jid: dave.conn.bareJid, affiliation: 'none' });
  await daveNow((o) => o.affiliation === 'none' && o.role === 'participant', 'Dave back to nothing');

  // Bob, a participant, may not kick.
  await bob.registry.join(room, { nick: 'Bob' });
  const refused = await bob.tab.rawCommand('roomSetRole', { room, nick: 'Dave', role: 'none' });
  assert.equal(refused.ok, false);
  assert.match(refused.error!, /^Kicking: You are not allowed to do that in this room/);
  assert.equal(alice.registry.get(room)?.occupant('Dave')?.available, true, 'Dave still there');

  // XEP-0425: Dave's message moderated by Alice through its room stanza-id. The room history (rooms-core) stores room
  // messages; here the row is written as it would be, with the room's stanza-id, and the command finds it by its id.
  const spamId = randomUUID();
  const aliceIn = new Inbox(alice.session.conn);
  await dave.sendRaw(buildGroupchat(room, spamId, 'spam')!);
  const spam = parseGroupchat(await aliceIn.next((el) => parseGroupchat(el)?.originId === spamId, 'Dave\'s message at Alice'))!;
  assert.ok(spam.stanzaId);
  const { row } = await stack.parley.stores.messages.insert({
    accountId: alice.accountId, peer: room, direction: 'in', fromJid: `${room}/Dave`, toJid: alice.jid, type: 'groupchat', body: 'spam',
    encrypted: null, messageId: spamId, originId: spamId, stanzaId: spam.stanzaId, stamp: new Date(), state: 'received',
  });
  await alice.tab.command('roomModerate', { room, id: row.id, reason: 'no spam' });
  const announced = parseModeration(await dave.inbox.next((el) => parseModeration(el)?.stanzaId === spam.stanzaId, 'the moderation announcement'));
  assert.equal(announced?.reason, 'no spam');
  // The same row named under another room: not a message of that room.
  assert.match((await alice.tab.rawCommand('roomModerate', { room: roomName('elsewhere'), id: row.id })).error ?? '', /No such message in this room/);
  // Through the command: a row that is not a message of this room.
  const noRow = await alice.tab.rawCommand('roomModerate', { room, id: '999999999' });
  assert.match(noRow.error ?? '', /No such message in this room/);

  // Kick, then ban: Dave's own presence says 307, then he is an outcast and listed as one.
  await alice.tab.command('roomSetRole', { room, nick: 'Dave', role: 'none', reason: 'out' });
  const kicked = parseOccupantPresence(await dave.inbox.next((el) => { const p = parseOccupantPresence(el); return p?.kind === 'occupant' && p.self && p.leave === 'kicked'; }, 'Dave kicked'));
  assert.equal(kicked?.kind === 'occupant' && kicked.reason, 'out');
  await peerJoins(dave, room, 'Dave2');
  await alice.tab.command('roomSetAffiliation', { room, jid: dave.conn.bareJid, affiliation: 'outcast', reason: 'banned' });
  await dave.inbox.next((el) => { const p = parseOccupantPresence(el); return p?.kind === 'occupant' && p.self && p.leave === 'banned'; }, 'Dave banned');
  const outcasts = await alice.tab.command('roomAffiliations', { room, affiliation: 'outcast' });
  assert.deepEqual(outcasts.items.map((i) => i.jid), [dave.conn.bareJid]);
  await dave.stop();
});
