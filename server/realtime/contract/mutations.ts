/**
 * The message-mutation part of the contract: chat states (XEP-0085), corrections (XEP-0308), retractions (XEP-0424)
 * and "delete for me". Corrected and retracted messages reach the tabs as ordinary `message` events with the fields of
 * `MessageMutationFields`; deletions have their own events, since the row is gone.
 */
import { z } from 'zod';
import { bareJid, conversationJid } from './fields.js';

const rowId = z.string().regex(/^\d{1,19}$/);
/** Mirrors LIMITS of contract.ts (not imported: that file imports this one). */
const BODY_CHARS = 10_000;
const ENCRYPTED_CHARS = 200_000;

export const mutationSchemas = {
  /** This tab's user is typing (or stopped, or left): sent to the contact, throttled by the server too. */
  chatState: z.object({ peer: conversationJid, state: z.enum(['active', 'composing', 'paused', 'inactive', 'gone']) }).strict(),
  /** Replace the text of one of our own messages (XEP-0308); `originId` names the correction stanza. */
  correct: z
    .object({
      peer: bareJid,
      id: rowId,
      body: z.string().max(BODY_CHARS).optional(),
      encrypted: z.string().max(ENCRYPTED_CHARS).optional(),
      originId: z.string().uuid(),
    })
    .strict()
    .refine((c) => (c.body !== undefined && c.body.trim() !== '') !== (c.encrypted !== undefined), 'a correction needs a body or an encrypted payload'),
  /** Retract one of our own messages for everyone (XEP-0424): a tombstone stays. */
  retract: z.object({ peer: bareJid, id: rowId }).strict(),
  /** Earlier contents of a corrected message. */
  versions: z.object({ peer: bareJid, id: rowId }).strict(),
  /** Delete one message for this account only (the XMPP archive and the contact keep theirs). */
  deleteMessage: z.object({ peer: conversationJid, id: rowId }).strict(),
  deleteConversation: z.object({ peer: conversationJid }).strict(),
} as const;

export type ChatStateName = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';

/** Fields a `MessageDTO` has once it was corrected or retracted. */
export interface MessageMutationFields {
  /** ISO 8601: when the shown content was last corrected. */
  editedAt?: string;
  /** How many corrections were applied (absent: none). Versions 0..version-1 come from `versions`. */
  version?: number;
  /** The id of the correction whose content is shown (the tab's key for the plaintext it sent). */
  correctionId?: string;
  /** ISO 8601: retracted by its sender; body, ciphertext and file are gone. */
  retractedAt?: string;
}

export interface MessageVersionDTO {
  version: number;
  body: string | null;
  encrypted: string | null;
  /** The id of the stanza that brought this version (origin-id or id). */
  sourceId: string | null;
  stamp: string;
}

export interface MutationResults {
  chatState: Record<string, never>;
  correct: { message: import('../contract.js').MessageDTO };
  retract: { message: import('../contract.js').MessageDTO };
  versions: { versions: MessageVersionDTO[] };
  deleteMessage: Record<string, never>;
  deleteConversation: { deleted: number };
}

export interface MutationEvents {
  /** The contact's chat state, coalesced by the server (at most one per conversation and second). */
  chatState: (e: { peer: string; state: ChatStateName }) => void;
  /** Messages deleted for this account (by a tab of any browser): drop them and their plaintext. */
  messageDeleted: (e: { peer: string; ids: string[] }) => void;
  /** A whole conversation was deleted for this account; `ids` may come in several events of a bounded size. */
  conversationDeleted: (e: { peer: string; ids: string[] }) => void;
}
