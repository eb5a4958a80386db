/** What every feature of an account's XMPP session gets: its connection, its stores, a way to reach its tabs. */
import type { XmppConnection } from '../xmpp/connection.js';
import type { ServerEvents } from '../realtime/contract.js';
import type { AccountStore } from '../store/accounts.js';
import type { ContactStore } from '../store/contacts.js';
import type { MessageStore } from '../store/messages.js';
import type { PgSessionStore } from '../store/sessions.js';
import type { OmemoDeviceStore } from '../store/omemo-devices.js';
import type { MutationStore } from '../store/mutations.js';
import type { ReactionStore } from '../store/reactions.js';
import type { SearchStore } from '../store/search.js';
import type { MuteStore } from '../store/mutes.js';
import type { RoomStore } from '../store/rooms.js';
import type { Logger } from '../app/logger.js';

/** The repositories a session works with (server/store is the only code that touches the database). */
export interface Stores {
  accounts: AccountStore;
  contacts: ContactStore;
  messages: MessageStore;
  sessions: PgSessionStore;
  omemoDevices: OmemoDeviceStore;
  mutations: MutationStore;
  reactions: ReactionStore;
  search: SearchStore;
  mutes: MuteStore;
  rooms: RoomStore;
}

export interface SessionContext {
  readonly accountId: string;
  /** Our bare JID, lower-case. */
  readonly jid: string;
  readonly conn: XmppConnection;
  readonly stores: Stores;
  readonly log: Logger;
  /** Sends an event to every tab of this account. */
  emit<E extends keyof ServerEvents>(event: E, ...payload: Parameters<ServerEvents[E]>): void;
}
