/** The blocking part of the contract (XEP-0191): block and unblock an address, read the account's blocklist. */
import { z } from 'zod';

/**
 * Any JID a blocklist may hold (bare, a whole domain, or a full JID another client blocked), so that each can be
 * unblocked; the session checks it is a JID (server/stanza/jid.ts).
 */
const blockableJid = z.string().trim().min(1).max(3071);

export const blockingSchemas = {
  /** Block an address: the server drops what it sends us, and Parley drops it too. */
  block: z.object({ jid: blockableJid }).strict(),
  unblock: z.object({ jid: blockableJid }).strict(),
  /** The account's blocklist, as the `blocklist` event carries it. */
  blocklist: z.object({}).strict(),
} as const;

export interface BlocklistDTO {
  /** Blocked JIDs, sorted; empty when the server offers no blocking (`supported: false`). */
  jids: string[];
  supported?: boolean;
}

export interface BlockingResults {
  block: Record<string, never>;
  unblock: Record<string, never>;
  blocklist: BlocklistDTO;
}

export interface BlockingEvents {
  /** The blocklist changed: by a tab, another client of the account, or a new XMPP session. */
  blocklist: (e: BlocklistDTO) => void;
}
