/**
 * The socket.io contract between the server and every browser tab.
 *
 * Server -> tab: events (typed payloads). Tab -> server: commands, each answered through the
 * socket.io acknowledgement callback with a `Result`. Commands are validated here with zod on the
 * server; the client imports only the TypeScript types of this file (`import type`), never zod.
 */
import { z } from 'zod';
import type { ProfileFields } from '../stanza/vcard.js';
import { bareJid, conversationJid, deviceId } from './contract/fields.js';
import { roomSchemas, type RoomEvents, type RoomHello, type RoomResults } from './contract/rooms.js';
import { ownProfileSchemas, type OwnProfileEvents, type OwnProfileResults } from './contract/own-profile.js';
import { avatarSchemas, type AvatarDTO, type AvatarEvents, type AvatarResults } from './contract/avatar.js';
import { addContactSchema, rosterSchemas, type RosterEvents, type RosterResults, type SubscriptionRequestsDTO } from './contract/roster.js';
import { blockingSchemas, type BlockingEvents, type BlockingResults } from './contract/blocking.js';
import { mutationSchemas, type MessageMutationFields, type MutationEvents, type MutationResults } from './contract/mutations.js';
import { reactionSchemas, type ReactionEvents, type ReactionResults, type ReactionsDTO } from './contract/reactions.js';
import { searchSchemas, type SearchEvents, type SearchResults } from './contract/search.js';

export type { SubscriptionRequestDTO, SubscriptionRequestsDTO } from './contract/roster.js';
export type { BlocklistDTO } from './contract/blocking.js';
export type { AvatarDTO } from './contract/avatar.js';
export type { ChatStateName, MessageVersionDTO } from './contract/mutations.js';
export type { ReactionDTO, ReactionsDTO } from './contract/reactions.js';
export type { SearchHitDTO } from './contract/search.js';
export type { RoomDTO, OccupantDTO, OccupantsDeltaDTO, InvitationDTO, RoomListingDTO, DataFormDTO, AffiliationItemDTO, RoomRole, RoomAffiliation, RoomState, RoomErrorDTO, RoomFeaturesDTO } from './contract/rooms.js';

export type ConnectionState = 'connecting' | 'online' | 'resuming' | 'reconnecting' | 'offline';
export type Presence = 'available' | 'away' | 'chat' | 'dnd' | 'xa' | 'unavailable';
export type MessageState = 'pending' | 'sent' | 'delivered' | 'displayed' | 'failed' | 'received';

export interface ContactDTO {
  jid: string;
  name: string | null;
  subscription: 'none' | 'to' | 'from' | 'both' | 'remove';
  ask: boolean;
  groups: string[];
}

export interface PresenceDTO {
  /** Bare JID of the contact. */
  jid: string;
  /** Best presence over the contact's resources. */
  show: Presence;
  status: string | null;
  /** Each online resource (client) of the contact, the most available first; at most 20. */
  resources: ResourcePresenceDTO[];
}

export interface ResourcePresenceDTO {
  resource: string;
  show: Presence;
  status: string | null;
}

export interface MessageDTO extends MessageMutationFields {
  /** Database id (bigint as string): the order key within a stamp and the paging cursor. */
  id: string;
  /** Bare JID of the other party: the conversation this message belongs to. */
  peer: string;
  direction: 'in' | 'out';
  from: string;
  to: string;
  body: string | null;
  /** Raw OMEMO `<encrypted>` element as XML: opaque to the server, decrypted by the tab. */
  encrypted: string | null;
  /** ISO 8601: archive / delay stamp, the display order. */
  stamp: string;
  /**
   * ISO 8601: the time the sender's delay (XEP-0203) claimed, when it was not believed (too far from the arrival and
   * not our own server's offline delivery): `stamp` is then the arrival time. Show it as a claim only.
   */
  claimedStamp?: string;
  state: MessageState;
  originId: string | null;
  stanzaId: string | null;
  /** A file shared by link (XEP-0066 / XEP-0363): an http(s) URL the server never fetches; render `name` as text. */
  attachment?: AttachmentDTO;
  /** The stanza's id attribute, when it differs from originId: what replies (XEP-0461) and reactions point at. */
  messageId?: string;
  /** XEP-0461: this message replies to the message whose id (or origin-id) is `id`. */
  reply?: ReplyDTO;
  /** Room messages (peer = room) and MUC-PMs (peer = room/nick): the sender's nickname in the room. */
  nick?: string;
  /** Room messages: the sender's real bare JID when the room shows it (OMEMO, avatars); an untrusted claim of the room. */
  senderJid?: string;
  /** Room messages: our nickname is mentioned (XEP-0372 reference or the nick as a word in the body). */
  mentionsMe?: boolean;
  /** Room messages removed by a moderator (XEP-0425): body and ciphertext are gone. */
  moderated?: { by: string | null; reason: string | null };
}

export interface ReplyDTO {
  /** The id attribute (or origin-id) of the message replied to, as the sender named it: not a row id. */
  id: string;
  /** Its author as the sender named it (informational). */
  to: string | null;
  /** Code points [start, end) of the body (after decryption, for OMEMO) that are the fallback quote: not shown. */
  fallback?: { start: number; end: number };
}

export interface AttachmentDTO {
  url: string;
  name: string;
  size?: number;
  type?: string;
}

export interface ConversationDTO {
  peer: string;
  /** 'room': peer is a room's bare JID; 'pm': peer is an occupant's full JID (room/nick); 'chat': a contact. */
  kind: 'chat' | 'room' | 'pm';
  last: MessageDTO;
  /** Incoming messages not yet displayed in any tab or other client of the account. */
  unread: number;
}

/** Why a profile has no fields, or 'found'. */
export type ProfileState = 'found' | 'empty' | 'unavailable' | 'forbidden' | 'timeout' | 'malformed' | 'error';

/** A contact's (or our own) vCard: text fields only, each bounded by the server; never a photo. */
export interface ProfileDTO {
  jid: string;
  state: ProfileState;
  source: 'vcard4' | 'vcard-temp' | null;
  /** Bounded text fields, as server/stanza/vcard.ts parses them. */
  fields: ProfileFields;
  /** ISO 8601: when the server fetched it (profiles are cached briefly). */
  fetchedAt: string;
}

export interface HelloEvent extends RoomHello {
  account: string;
  /** Full JID of the shared XMPP session. */
  resource: string | null;
  connection: ConnectionState;
  contacts: ContactDTO[];
  presences: PresenceDTO[];
  conversations: ConversationDTO[];
  own: { show: Presence; status: string | null };
  subscriptions: SubscriptionRequestsDTO;
  /** Contacts (and we) with a stored avatar. */
  avatars: AvatarDTO[];
}

/**
 * How the account's OMEMO device list and bundles are published. `open: false` means the server kept its default
 * access model (contacts only): people not in the roster cannot fetch our keys. `problem` says why, for the Security panel.
 */
export interface OmemoPublicationDTO {
  open: boolean;
  problem: string | null;
}

export interface ServerEvents extends RoomEvents, RosterEvents, OwnProfileEvents, BlockingEvents, AvatarEvents, MutationEvents, ReactionEvents, SearchEvents {
  hello: (e: HelloEvent) => void;
  connection: (e: { state: ConnectionState; detail?: string }) => void;
  contacts: (e: { contacts: ContactDTO[] }) => void;
  contact: (e: { contact: ContactDTO }) => void;
  presence: (e: PresenceDTO) => void;
  /** A new message, or a stored one whose fields (state, stanzaId) changed. */
  message: (e: { message: MessageDTO }) => void;
  /** Messages of a conversation up to `upTo` (inclusive) were displayed: on this or another client of the account. */
  read: (e: { peer: string; upTo: string }) => void;
  /** The database is unreachable: incoming messages are held in memory and written when it returns. */
  degraded: (e: { degraded: boolean }) => void;
  /** A device list changed (ours or a contact's). */
  omemoDevices: (e: { jid: string; devices: number[] }) => void;
  /**
   * From another tab of the account (the history handover): `to: null` is a hello to every tab, else `encrypted` is an
   * OMEMO element only device `to` can read. The server relays it and keeps nothing.
   */
  omemoRelay: (e: OmemoRelayDTO) => void;
  /** Whether the account's OMEMO keys could be published world-readable (changes rarely: once per session at most). */
  omemoPublication: (e: OmemoPublicationDTO) => void;
  /** The account was logged out (by this or another tab, or by an admin): go to the login page. */
  logout: (e: { reason: string }) => void;
}

export interface OmemoRelayDTO {
  from: number;
  to: number | null;
  encrypted: string | null;
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: string };
type Ack<T> = (result: Result<T>) => void;


/** Limits that keep one tab from exhausting the server. */
export const LIMITS = {
  bodyChars: 10_000,
  encryptedChars: 200_000,
  pageSize: 100,
} as const;

export const commandSchemas = {
  history: z.object({
    peer: conversationJid,
    /** Cursor: the oldest message the tab already has. */
    before: z.object({ stamp: z.string().datetime(), id: z.string().regex(/^\d{1,19}$/) }).optional(),
    limit: z.number().int().min(1).max(LIMITS.pageSize).default(50),
  }),
  send: z
    .object({
      /** A contact or a room (bare JID: the server knows which), or a room occupant (MUC-PM). */
      to: conversationJid,
      body: z.string().max(LIMITS.bodyChars).optional(),
      encrypted: z.string().max(LIMITS.encryptedChars).optional(),
      /** Chosen by the tab, sent as origin-id (XEP-0359): makes retries idempotent. */
      originId: z.string().uuid(),
      /**
       * A reply (XEP-0461) to message row `id`; the body (inside the ciphertext, for OMEMO) starts with the "> quote"
       * fallback of `fallbackLength` code points (XEP-0428).
       */
      replyTo: z.object({ id: z.string().regex(/^\d{1,19}$/), fallbackLength: z.number().int().min(0).max(LIMITS.bodyChars) }).strict().optional(),
    })
    .refine((c) => (c.body !== undefined && c.body.trim() !== '') || c.encrypted !== undefined, 'a message needs a body or an encrypted payload'),
  setPresence: z.object({
    show: z.enum(['available', 'away', 'chat', 'dnd', 'xa']),
    status: z.string().max(1024).nullable().default(null),
  }),
  /** The tab's page became visible or hidden: drives Client State Indication and automatic away. */
  visibility: z.object({ visible: z.boolean() }).strict(),
  addContact: addContactSchema,
  removeContact: z.object({ jid: bareJid }),
  /** The tab shows the conversation up to this message: sends a chat marker and syncs unread state. */
  markDisplayed: z.object({ peer: conversationJid, id: z.string().regex(/^\d{1,19}$/) }),
  /** The tab's OMEMO device is alive; `bundle` (public keys only, XML) when new or changed. Returns the account's device list. */
  omemoAnnounce: z.object({ deviceId: deviceId, bundle: z.string().max(64_000).nullable() }),
  omemoDevices: z.object({ jid: bareJid, fresh: z.boolean().default(false) }),
  omemoBundle: z.object({ jid: bareJid, deviceId: deviceId, fresh: z.boolean().default(false) }),
  omemoRevoke: z.object({ deviceId: deviceId }),
  /** Tab-to-tab relay within the account (history handover): a hello to all tabs, or ciphertext for one device. */
  omemoRelay: z
    .object({ from: deviceId, to: deviceId.nullable(), encrypted: z.string().min(1).max(LIMITS.encryptedChars).nullable() })
    .strict()
    .refine((c) => (c.to === null) === (c.encrypted === null), 'a hello goes to every tab without a payload; a payload goes to one device'),
  omemoPublication: z.object({}).strict(),
  /** A contact's or our own vCard, asked through this tab's own account session; `fresh` skips the cache. */
  profile: z.object({ jid: bareJid, fresh: z.boolean().default(false) }).strict(),
  ...rosterSchemas,
  ...ownProfileSchemas,
  ...blockingSchemas,
  ...avatarSchemas,
  ...mutationSchemas,
  ...reactionSchemas,
  ...searchSchemas,
  ...roomSchemas,
} as const;

export type Commands = { [K in keyof typeof commandSchemas]: z.input<(typeof commandSchemas)[K]> };
export type ParsedCommands = { [K in keyof typeof commandSchemas]: z.output<(typeof commandSchemas)[K]> };

export interface CommandResults extends RoomResults, RosterResults, OwnProfileResults, BlockingResults, AvatarResults, MutationResults, ReactionResults, SearchResults {
  /** `reactions`: the reactions to the page's messages that have any. */
  history: { messages: MessageDTO[]; hasMore: boolean; reactions?: ReactionsDTO[] };
  send: { message: MessageDTO };
  setPresence: Record<string, never>;
  visibility: Record<string, never>;
  addContact: Record<string, never>;
  removeContact: Record<string, never>;
  markDisplayed: Record<string, never>;
  omemoAnnounce: { devices: number[] };
  omemoDevices: { devices: number[] };
  omemoBundle: { bundle: string | null };
  omemoRevoke: { devices: number[] };
  omemoRelay: Record<string, never>;
  omemoPublication: OmemoPublicationDTO;
  profile: ProfileDTO;
}

export type ClientCommands = {
  [K in keyof Commands]: (payload: Commands[K], ack: Ack<CommandResults[K]>) => void;
};
