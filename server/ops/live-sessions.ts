/** The live XMPP sessions as the admin page and the admin API list them. */
import type { ConnectionState } from '../xmpp/connection.js';

export interface LiveSessionView {
  jid: string;
  accountId: string;
  tabs: number;
  /** ISO time the session started. */
  since: string;
  state: ConnectionState;
}

interface SessionLike {
  readonly jid: string;
  readonly accountId: string;
  readonly tabCount: number;
  readonly since: Date;
  readonly state: ConnectionState;
  readonly isEnded: boolean;
}

export function listLiveSessions(sessions: { sessions(): readonly SessionLike[] }): LiveSessionView[] {
  return sessions
    .sessions()
    .filter((s) => !s.isEnded)
    .map((s) => ({ jid: s.jid, accountId: s.accountId, tabs: s.tabCount, since: s.since.toISOString(), state: s.state }))
    .sort((a, b) => a.jid.localeCompare(b.jid));
}
