/**
 * What our role and affiliation let us do in a room (XEP-0045 §5.1 roles, §5.2 affiliations), so the UI offers only
 * what the service would accept. The service decides in the end; this only keeps impossible buttons away.
 *
 * - Moderators (role) kick and voice/devoice participants and visitors (§8.2–8.4), never someone whose affiliation
 *   is at or above an admin's unless ours is higher (owners may act on admins, nobody on an equal owner).
 * - Admins (affiliation) ban, edit the member list and grant/revoke moderator (§9); owners also edit the admin and
 *   owner lists, configure and destroy (§10).
 * Affiliation changes need the occupant's real JID (only visible in non-anonymous rooms or to moderators).
 */
import type { OccupantDTO, RoomAffiliation, RoomDTO, RoomRole } from '../../../../server/realtime/contract.js';

const RANK: Record<RoomAffiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };

export interface Self {
  role: RoomRole;
  affiliation: RoomAffiliation;
  nick: string;
}

export type OccupantAction =
  | 'private-message'
  | 'kick'
  | 'ban'
  | 'grant-voice'
  | 'revoke-voice'
  | 'grant-member'
  | 'revoke-member'
  | 'grant-moderator'
  | 'revoke-moderator'
  | 'grant-admin'
  | 'revoke-admin'
  | 'grant-owner'
  | 'revoke-owner';

/** Admin or owner. */
export function isAdmin(self: Pick<Self, 'affiliation'>): boolean {
  return RANK[self.affiliation] >= RANK.admin;
}

export function isOwner(self: Pick<Self, 'affiliation'>): boolean {
  return self.affiliation === 'owner';
}

/** Our affiliation outranks theirs, or theirs is below admin (§8.2: admins and owners cannot be kicked or devoiced by lesser ones). */
function outranks(self: Self, target: Pick<OccupantDTO, 'affiliation'>): boolean {
  return RANK[target.affiliation] < RANK.admin || RANK[self.affiliation] > RANK[target.affiliation];
}

/** The actions on one occupant, in the order the menu lists them. */
export function occupantActions(self: Self, target: Pick<OccupantDTO, 'nick' | 'role' | 'affiliation' | 'jid'>): OccupantAction[] {
  if (target.nick === self.nick) return [];
  const actions: OccupantAction[] = [];
  const present = self.role !== 'none';
  if (present) actions.push('private-message');
  const moderator = self.role === 'moderator';
  if (moderator && target.role !== 'none' && outranks(self, target)) {
    actions.push('kick');
    if (target.role === 'visitor') actions.push('grant-voice');
    if (target.role === 'participant') actions.push('revoke-voice');
  }
  if (isAdmin(self)) {
    // Moderator status of admins and owners comes with their affiliation: it cannot be taken away as a role (§9.7).
    if (target.role === 'participant' || target.role === 'visitor') actions.push('grant-moderator');
    if (target.role === 'moderator' && RANK[target.affiliation] < RANK.admin) actions.push('revoke-moderator');
  }
  if (target.jid !== null && RANK[self.affiliation] > RANK[target.affiliation]) {
    if (isAdmin(self)) {
      actions.push('ban');
      if (target.affiliation === 'none') actions.push('grant-member');
      if (target.affiliation === 'member') actions.push('revoke-member');
    }
    if (isOwner(self)) {
      if (target.affiliation === 'admin') actions.push('revoke-admin');
      else actions.push('grant-admin');
      actions.push('grant-owner');
    }
  }
  if (target.jid !== null && isOwner(self) && target.affiliation === 'owner') actions.push('revoke-owner');
  return actions;
}

/** What the room menu offers us. */
export interface RoomAdminActions {
  configure: boolean;
  destroy: boolean;
  invite: boolean;
  /** Affiliation lists we may read and edit. */
  lists: ('owner' | 'admin' | 'member' | 'outcast')[];
}

export function roomAdminActions(room: Pick<RoomDTO, 'state' | 'role' | 'affiliation' | 'features'>): RoomAdminActions {
  const joined = room.state === 'joined';
  const owner = joined && isOwner(room);
  const admin = joined && isAdmin(room);
  return {
    configure: owner,
    destroy: owner,
    // Members-only rooms: only admins can add the invitee to the member list, without which the invitation is useless.
    invite: joined && room.role !== 'visitor' && room.role !== 'none' && (!room.features.membersOnly || admin || room.affiliation === 'member'),
    lists: owner ? ['owner', 'admin', 'member', 'outcast'] : admin ? ['member', 'outcast'] : [],
  };
}

/** The role or affiliation one action asks the service for. */
export function changeOf(action: Exclude<OccupantAction, 'private-message'>): { role: RoomRole } | { affiliation: RoomAffiliation } {
  switch (action) {
    case 'kick':
      return { role: 'none' };
    case 'grant-voice':
    case 'revoke-moderator':
      return { role: 'participant' };
    case 'revoke-voice':
      return { role: 'visitor' };
    case 'grant-moderator':
      return { role: 'moderator' };
    case 'ban':
      return { affiliation: 'outcast' };
    case 'grant-member':
    case 'revoke-admin':
      return { affiliation: 'member' };
    case 'revoke-member':
      return { affiliation: 'none' };
    case 'grant-admin':
    case 'revoke-owner':
      return { affiliation: 'admin' };
    case 'grant-owner':
      return { affiliation: 'owner' };
  }
}

/** Message moderation (XEP-0425): moderators, where the service supports it. */
export function canModerateMessages(room: Pick<RoomDTO, 'state' | 'role' | 'features'>): boolean {
  return room.state === 'joined' && room.role === 'moderator' && room.features.moderation;
}
