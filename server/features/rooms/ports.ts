/**
 * How the parts of group chat (server/features/rooms/) reach each other. The registry (registry.ts) owns the
 * joined rooms, their occupants and our presence in them; room messages and their history (history.ts), bookmarks
 * (bookmarks.ts), invitations (invitations.ts) and room administration (admin.ts) work through these ports, so each
 * can be built and tested on its own.
 */
import type { Element } from '@xmpp/xml';
import type { JoinHistory, Occupant } from '../../stanza/muc.js';
import type { RoomDTO, RoomFeaturesDTO } from '../../realtime/contract/rooms.js';

/** What other parts may read of one room this session knows (joined, joining or rejoining). */
export interface RoomView {
  readonly jid: string;
  readonly nick: string;
  readonly state: RoomDTO['state'];
  readonly features: RoomFeaturesDTO;
  /** An available occupant by nick (real JID, role, affiliation, occupant id). */
  occupant(nick: string): Occupant | undefined;
  /** Available occupants' real bare JIDs, where the room shows them. */
  realJids(): string[];
}

export interface JoinOptions {
  nick?: string;
  password?: string;
  /** Called by bookmarks/autojoin: a refusal is recorded on the room, not thrown. */
  quiet?: boolean;
}

/** The registry, as the other parts use it. */
export interface RoomRegistryPort {
  /** A room we are in or joining: a groupchat from it, or a MUC-PM from one of its occupants, belongs to it. */
  get(room: string): RoomView | undefined;
  list(): RoomView[];
  /** Joins (idempotent: joined already resolves at once). Resolves with the room once joined; rejects with the reason. */
  join(room: string, opts?: JoinOptions): Promise<RoomDTO>;
  /** Leaves; `forget` drops it from the sidebar and the store. */
  leave(room: string, forget: boolean): Promise<void>;
  /** The DTO of a room, as the tabs see it. */
  dto(room: string): RoomDTO | undefined;
  /** Reads the room's disco#info again (after its configuration changed) and tells the tabs. */
  refresh(room: string): Promise<RoomDTO | undefined>;
  /** Records bookmark state (from bookmarks.ts) and tells the tabs. */
  setBookmark(room: string, b: { bookmarked: boolean; autojoin: boolean; name?: string | null }): void;
}

/** Room messages and their history: the registry hands them stanzas and tells them of joins. */
export interface RoomMessagesPort {
  /** What the join's <history/> asks: none when the room's archive will be queried, else since the newest stored. */
  joinHistory(room: string, features: RoomFeaturesDTO): Promise<JoinHistory>;
  /** Our self-presence arrived (a fresh join or a rejoin): catch up through the room's archive when it has one. */
  joined(room: string, features: RoomFeaturesDTO): void;
  /** A type='groupchat' message from a known room, or a MUC-PM from one of its occupants. */
  receive(el: Element, receivedAt: Date): Promise<void>;
}

/** Bookmarks (XEP-0402, XEP-0048 fallback), as the registry asks for them. */
export interface RoomBookmarksPort {
  /** Bookmark (autojoin) or update a room we joined from a tab. */
  save(b: { room: string; name: string | null; nick: string; password: string | null; autojoin: boolean }): Promise<void>;
  remove(room: string): Promise<void>;
}

/** Invitations claim their messages before anything else reads them. */
export interface InvitationsPort {
  /** True when `el` was an invitation or a decline (handled, or dropped by the rate limit). */
  receive(el: Element, receivedAt: Date): boolean;
}
