/**
 * The group-chat part of the contract (XEP-0045 rooms, XEP-0402 bookmarks, XEP-0249 invitations, XEP-0425 moderation).
 *
 * A room is a conversation whose `peer` is the room's bare JID; its messages are ordinary MessageDTOs with `nick` set
 * (and `history`, `send`, corrections, reactions, search work on it as on a direct chat). A private message to an
 * occupant (MUC-PM) is a conversation whose `peer` is the occupant's full JID `room@service/nick`: never a bare JID,
 * so it can never be confused with a direct chat.
 *
 * Occupants are not part of the hello: a tab asks `roomOccupants` when it shows a room, then applies the batched
 * `occupants` deltas the server sends at most every ~100 ms per room.
 */
import { z } from 'zod';
import { bareJid } from './fields.js';

/** Mirrors server/stanza/muc.ts (the client must not import it). */
export const ROOM_AFFILIATIONS = ['owner', 'admin', 'member', 'outcast', 'none'] as const;
export const ROOM_ROLES = ['moderator', 'participant', 'visitor', 'none'] as const;
export type RoomAffiliation = (typeof ROOM_AFFILIATIONS)[number];
export type RoomRole = (typeof ROOM_ROLES)[number];

/** Nicknames: XEP-0045 resourceprep, bounded; the server checks them again with validNick. */
export const nickname = z.string().trim().min(1).max(256);
const roomPassword = z.string().min(1).max(1024);
const reason = z.string().max(1024).optional();
const rowId = z.string().regex(/^\d{1,19}$/);

/** Where a room stands for this account's one XMPP session. */
export type RoomState =
  /** Join sent, no self-presence yet. */
  | 'joining'
  | 'joined'
  /** Lost (connection down, self-ping said we are gone, no answer to the join): rejoined automatically. */
  | 'rejoining'
  /** Not joined and not retried: see `error` (kicked, banned, destroyed, nickname in use, password...). */
  | 'left';

export type RoomErrorReason =
  | 'nickname-in-use'
  | 'password-required'
  | 'members-only'
  | 'banned'
  | 'kicked'
  | 'room-not-found'
  | 'creation-refused'
  | 'room-full'
  | 'nickname-invalid'
  | 'destroyed'
  | 'shutdown'
  | 'timeout'
  | 'other';

export interface RoomErrorDTO {
  reason: RoomErrorReason;
  /** The room's or the actor's own words, shown as text. */
  text: string | null;
  /** For 'nickname-in-use': a free nickname to offer. For 'destroyed': the alternate venue, if any. */
  suggestion: string | null;
}

export interface RoomFeaturesDTO {
  membersOnly: boolean;
  nonAnonymous: boolean;
  persistent: boolean;
  passwordProtected: boolean;
  public: boolean | null;
  moderated: boolean;
  /** The room keeps an archive (XEP-0313 addressed to the room): used for catch-up and older pages. */
  mam: boolean;
  /** XEP-0425 message moderation, where the service supports it. */
  moderation: boolean;
}

export interface RoomDTO {
  /** The room's bare JID: the conversation's peer. */
  jid: string;
  /** The room's name (disco#info or bookmark), else null: show the local part. */
  name: string | null;
  description: string | null;
  /** Our nickname in the room. */
  nick: string;
  state: RoomState;
  error: RoomErrorDTO | null;
  subject: string | null;
  /** Nick of who set the subject, when known. */
  subjectBy: string | null;
  /** Our role and affiliation: what the UI offers (subject edit, moderation, configuration). */
  role: RoomRole;
  affiliation: RoomAffiliation;
  features: RoomFeaturesDTO;
  /** Whether OMEMO can be used here (members-only and non-anonymous), and why not in plain words. */
  omemo: { allowed: boolean; reason: string | null };
  /** Available occupants (the list itself: `roomOccupants`). */
  occupantCount: number;
  /** Bookmarked (XEP-0402 or XEP-0048) with autojoin: joined again on every session. */
  bookmarked: boolean;
  autojoin: boolean;
  /** Messages not yet displayed, and among them those that mention our nickname. */
  unread: number;
  mentions: number;
}

export interface OccupantDTO {
  nick: string;
  role: RoomRole;
  affiliation: RoomAffiliation;
  /** Real bare JID when the room shows it (non-anonymous, or we moderate). */
  jid: string | null;
  show: 'available' | 'away' | 'chat' | 'dnd' | 'xa';
  status: string | null;
  /** XEP-0421 occupant id, when the room stamps them. */
  occupantId: string | null;
  /** Avatar hash of the real JID, when we have one stored (GET /avatars/<hash>). */
  avatar: string | null;
}

export interface OccupantsDeltaDTO {
  room: string;
  /** Occupants that joined or changed, newest state. */
  present: OccupantDTO[];
  /** Nicks that left (or changed nick: the new one is in `present`). */
  gone: string[];
  /** Count after this delta. */
  count: number;
  /**
   * What happened in the window, for a compact timeline line ("Ann, Bob and 40 others joined"): at most 20 nicks of
   * each kind named, the totals counted.
   */
  joined: { nicks: string[]; total: number };
  left: { nicks: string[]; total: number };
}

export interface InvitationDTO {
  /** Server-chosen id, for `invitationAnswer`. */
  id: string;
  kind: 'direct' | 'mediated';
  room: string;
  /** Who invites (bare JID for direct ones; as the room relays it for mediated ones). */
  from: string;
  reason: string | null;
  /** The room's password the inviter passed along, if any. */
  hasPassword: boolean;
  /** ISO 8601 arrival. */
  at: string;
  /** The inviter is not in our roster: shown apart, rate-limited. */
  stranger: boolean;
}

export interface RoomListingDTO {
  jid: string;
  name: string | null;
  occupants: number | null;
}

/** A data form (XEP-0004) as the server parsed and bounded it: rendered generically by the tab, as text. */
export interface DataFormDTO {
  title: string | null;
  instructions: string[];
  fields: {
    var: string | null;
    type: 'boolean' | 'fixed' | 'hidden' | 'jid-multi' | 'jid-single' | 'list-multi' | 'list-single' | 'text-multi' | 'text-private' | 'text-single';
    label: string | null;
    desc: string | null;
    required: boolean;
    values: string[];
    options: { label: string | null; value: string }[];
  }[];
}

export interface AffiliationItemDTO {
  jid: string;
  affiliation: RoomAffiliation;
  nick: string | null;
  reason: string | null;
}

export const roomSchemas = {
  /** MUC services of the account's server (disco#items of the domain, conference identity). */
  roomServices: z.object({}).strict(),
  /** Public rooms of a service, filtered by name or address (case-insensitive substring), paged by `after`. */
  roomBrowse: z
    .object({ service: z.string().trim().min(1).max(1023).optional(), filter: z.string().max(200).default(''), after: z.string().max(3071).optional() })
    .strict(),
  /** A room's disco#info, for the join dialog (name, description, occupants, features, OMEMO). */
  roomInfo: z.object({ room: bareJid }).strict(),
  /** Joins (and, unless `bookmark: false`, bookmarks with autojoin). Resolves once joined or refused. */
  roomJoin: z.object({ room: bareJid, nick: nickname.optional(), password: roomPassword.optional(), bookmark: z.boolean().default(true) }).strict(),
  /** Leaves; `forget` also removes the bookmark and the conversation from the sidebar. */
  roomLeave: z.object({ room: bareJid, forget: z.boolean().default(true) }).strict(),
  roomNick: z.object({ room: bareJid, nick: nickname }).strict(),
  roomSubject: z.object({ room: bareJid, subject: z.string().max(4096) }).strict(),
  roomOccupants: z.object({ room: bareJid }).strict(),
  /** Creates a room with Conversations' presets: 'group' = members-only, non-anonymous, persistent, hidden; 'channel' = public, open, semi-anonymous, persistent. */
  roomCreate: z
    .object({ room: bareJid, preset: z.enum(['group', 'channel']), name: z.string().trim().max(200).optional(), nick: nickname.optional(), members: z.array(bareJid).max(100).default([]) })
    .strict(),
  /** The room's configuration form (owners). */
  roomConfig: z.object({ room: bareJid }).strict(),
  /** Submits it: values by field var; booleans as '1'/'0'. */
  roomConfigure: z
    .object({ room: bareJid, values: z.record(z.string().max(256), z.array(z.string().max(4096)).max(500)).refine((v) => Object.keys(v).length <= 200, 'too many fields') })
    .strict(),
  roomDestroy: z.object({ room: bareJid, reason, alternate: bareJid.optional() }).strict(),
  /** Invites `jid`: direct (XEP-0249, default) or mediated through the room. */
  roomInvite: z.object({ room: bareJid, jid: bareJid, reason, mode: z.enum(['direct', 'mediated']).default('direct') }).strict(),
  invitationAnswer: z.object({ id: z.string().min(1).max(64), accept: z.boolean(), nick: nickname.optional(), reason }).strict(),
  /** The affiliation lists (owners, admins, members, outcasts): moderation UI, and OMEMO's member JIDs. */
  roomAffiliations: z.object({ room: bareJid, affiliation: z.enum(['owner', 'admin', 'member', 'outcast']) }).strict(),
  /** Changes a user's affiliation (membership, admin, owner, ban = 'outcast', 'none' takes it away). */
  roomSetAffiliation: z.object({ room: bareJid, jid: bareJid, affiliation: z.enum(ROOM_AFFILIATIONS), reason }).strict(),
  /** Changes an occupant's role (kick = 'none', voice = 'participant', devoice = 'visitor', 'moderator'). */
  roomSetRole: z.object({ room: bareJid, nick: nickname, role: z.enum(ROOM_ROLES), reason }).strict(),
  /** XEP-0425: asks the room to retract message row `id` for everyone. */
  roomModerate: z.object({ room: bareJid, id: rowId, reason }).strict(),
  /** Real bare JIDs of the room's members (affiliation lists + occupants' real JIDs), for OMEMO. Private groups only. */
  roomMembers: z.object({ room: bareJid }).strict(),
} as const;

export interface RoomResults {
  roomServices: { services: string[] };
  roomBrowse: { service: string; rooms: RoomListingDTO[]; next: string | null };
  roomInfo: { jid: string; name: string | null; description: string | null; occupants: number | null; features: RoomFeaturesDTO; omemo: RoomDTO['omemo'] };
  roomJoin: { room: RoomDTO };
  roomLeave: Record<string, never>;
  roomNick: { room: RoomDTO };
  roomSubject: Record<string, never>;
  roomOccupants: { room: string; occupants: OccupantDTO[] };
  roomCreate: { room: RoomDTO };
  roomConfig: { form: DataFormDTO };
  roomConfigure: Record<string, never>;
  roomDestroy: Record<string, never>;
  roomInvite: Record<string, never>;
  invitationAnswer: { room: RoomDTO | null };
  roomAffiliations: { items: AffiliationItemDTO[] };
  roomSetAffiliation: Record<string, never>;
  roomSetRole: Record<string, never>;
  roomModerate: Record<string, never>;
  roomMembers: { members: string[] };
}

export interface RoomEvents {
  /** A room joined, changed (state, subject, our role, counts, bookmark), from any tab or another client (bookmark push). */
  room: (e: { room: RoomDTO }) => void;
  /** Left and forgotten (here, or its bookmark removed by another client of the account). */
  roomRemoved: (e: { jid: string }) => void;
  /** Batched occupant changes of one room (at most one per ~100 ms per room). */
  occupants: (e: OccupantsDeltaDTO) => void;
  /** A new invitation (strangers' ones are rate-limited on the server). */
  invitation: (e: { invitation: InvitationDTO }) => void;
  /** Answered or expired: drop it from every tab. */
  invitationGone: (e: { id: string }) => void;
  /** A room message `id` (row) was moderated (XEP-0425): shown as removed by a moderator. */
  moderated: (e: { room: string; id: string; by: string | null; reason: string | null }) => void;
}

/** What the hello carries for rooms. */
export interface RoomHello {
  rooms: RoomDTO[];
  invitations: InvitationDTO[];
}
