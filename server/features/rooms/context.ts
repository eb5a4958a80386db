/**
 * What the room administration parts (bookmarks, invitations, admin) need of the account's session: a narrow slice
 * of SessionContext, so each can be built over a bare XMPP connection in tests.
 */
import type { Element } from '@xmpp/xml';
import type { SessionContext } from '../context.js';

export interface RoomsConn {
  iq(request: Element, timeoutMs?: number): Promise<Element>;
  send(stanza: Element): Promise<void>;
}

export interface RoomsAdminContext {
  /** Our bare JID, lower-case. */
  readonly jid: string;
  readonly conn: RoomsConn;
  readonly log: SessionContext['log'];
  readonly emit: SessionContext['emit'];
}
