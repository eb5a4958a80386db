/**
 * Which room actions each role and affiliation gets (XEP-0045 §5 tables, §8–§10): the occupant menu, the room menu
 * and message moderation offer only what the service would allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoomAffiliation, RoomDTO, RoomRole } from '../../server/realtime/contract.js';
import { canModerateMessages, changeOf, occupantActions, roomAdminActions, type Self } from '../../client/ui/rooms/admin/permissions.js';

const me = (role: RoomRole, affiliation: RoomAffiliation): Self => ({ role, affiliation, nick: 'me' });
const them = (role: RoomRole, affiliation: RoomAffiliation, jid: string | null = 'them@example.org') => ({ nick: 'them', role, affiliation, jid });

test('a participant without affiliation may only send private messages', () => {
  assert.deepEqual(occupantActions(me('participant', 'none'), them('participant', 'none')), ['private-message']);
  assert.deepEqual(occupantActions(me('visitor', 'none'), them('moderator', 'owner')), ['private-message']);
  assert.deepEqual(occupantActions(me('participant', 'member'), them('visitor', 'none')), ['private-message']);
});

test('nothing on oneself', () => {
  assert.deepEqual(occupantActions(me('moderator', 'owner'), { ...them('moderator', 'owner'), nick: 'me' }), []);
});

test('a moderator without affiliation kicks and (de)voices participants and visitors, not admins or owners', () => {
  assert.deepEqual(occupantActions(me('moderator', 'none'), them('participant', 'none')), ['private-message', 'kick', 'revoke-voice']);
  assert.deepEqual(occupantActions(me('moderator', 'none'), them('visitor', 'member')), ['private-message', 'kick', 'grant-voice']);
  assert.deepEqual(occupantActions(me('moderator', 'none'), them('moderator', 'admin')), ['private-message']);
  assert.deepEqual(occupantActions(me('moderator', 'member'), them('moderator', 'owner')), ['private-message']);
});

test('an admin bans, edits membership and moderator status of lesser users; not of admins and owners', () => {
  assert.deepEqual(occupantActions(me('moderator', 'admin'), them('participant', 'none')),
    ['private-message', 'kick', 'revoke-voice', 'grant-moderator', 'ban', 'grant-member']);
  assert.deepEqual(occupantActions(me('moderator', 'admin'), them('moderator', 'member')),
    ['private-message', 'kick', 'revoke-moderator', 'ban', 'revoke-member']);
  assert.deepEqual(occupantActions(me('moderator', 'admin'), them('moderator', 'admin')), ['private-message']);
  assert.deepEqual(occupantActions(me('moderator', 'admin'), them('moderator', 'owner')), ['private-message']);
});

test('an owner also grants and revokes admin and owner; owners can demote owners but not kick them', () => {
  assert.deepEqual(occupantActions(me('moderator', 'owner'), them('participant', 'member')),
    ['private-message', 'kick', 'revoke-voice', 'grant-moderator', 'ban', 'revoke-member', 'grant-admin', 'grant-owner']);
  assert.deepEqual(occupantActions(me('moderator', 'owner'), them('moderator', 'admin')),
    ['private-message', 'kick', 'ban', 'revoke-admin', 'grant-owner']);
  assert.deepEqual(occupantActions(me('moderator', 'owner'), them('moderator', 'owner')), ['private-message', 'revoke-owner']);
});

test('affiliation changes need the real JID: in a semi-anonymous room only role changes are offered', () => {
  assert.deepEqual(occupantActions(me('moderator', 'owner'), them('participant', 'none', null)), ['private-message', 'kick', 'revoke-voice', 'grant-moderator']);
});

test('each action asks for the right role or affiliation', () => {
  assert.deepEqual(changeOf('kick'), { role: 'none' });
  assert.deepEqual(changeOf('ban'), { affiliation: 'outcast' });
  assert.deepEqual(changeOf('grant-voice'), { role: 'participant' });
  assert.deepEqual(changeOf('revoke-voice'), { role: 'visitor' });
  assert.deepEqual(changeOf('grant-moderator'), { role: 'moderator' });
  assert.deepEqual(changeOf('revoke-moderator'), { role: 'participant' });
  assert.deepEqual(changeOf('grant-member'), { affiliation: 'member' });
  assert.deepEqual(changeOf('revoke-member'), { affiliation: 'none' });
  assert.deepEqual(changeOf('grant-admin'), { affiliation: 'admin' });
  assert.deepEqual(changeOf('revoke-admin'), { affiliation: 'member' });
  assert.deepEqual(changeOf('grant-owner'), { affiliation: 'owner' });
  assert.deepEqual(changeOf('revoke-owner'), { affiliation: 'admin' });
});

const features: RoomDTO['features'] = { membersOnly: false, nonAnonymous: false, persistent: true, passwordProtected: false, public: true, moderated: false, mam: true, moderation: true };
const room = (role: RoomRole, affiliation: RoomAffiliation, extra: Partial<RoomDTO['features']> = {}, state: RoomDTO['state'] = 'joined') =>
  ({ role, affiliation, state, features: { ...features, ...extra } });

test('the room menu: owners configure, destroy and edit every list; admins the member and ban lists; others invite where it makes sense', () => {
  assert.deepEqual(roomAdminActions(room('moderator', 'owner')), { configure: true, destroy: true, invite: true, lists: ['owner', 'admin', 'member', 'outcast'] });
  assert.deepEqual(roomAdminActions(room('moderator', 'admin')), { configure: false, destroy: false, invite: true, lists: ['member', 'outcast'] });
  assert.deepEqual(roomAdminActions(room('participant', 'none')), { configure: false, destroy: false, invite: true, lists: [] });
  assert.deepEqual(roomAdminActions(room('participant', 'none', { membersOnly: true })), { configure: false, destroy: false, invite: false, lists: [] });
  assert.deepEqual(roomAdminActions(room('visitor', 'none')).invite, false);
  assert.deepEqual(roomAdminActions(room('moderator', 'owner', {}, 'rejoining')), { configure: false, destroy: false, invite: false, lists: [] });
});

test('message moderation: moderators of joined rooms whose service supports XEP-0425', () => {
  assert.equal(canModerateMessages(room('moderator', 'none')), true);
  assert.equal(canModerateMessages(room('participant', 'owner')), false);
  assert.equal(canModerateMessages(room('moderator', 'owner', { moderation: false })), false);
  assert.equal(canModerateMessages(room('moderator', 'owner', {}, 'left')), false);
});
