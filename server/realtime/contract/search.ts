/**
 * The search part of the contract: searching the account's plaintext messages, opening a conversation around a
 * message (and paging newer from there), and muting conversations (stored per account, so every tab agrees).
 */
import { z } from 'zod';
import type { MessageDTO } from '../contract.js';
import { bareJid, conversationJid } from './fields.js';
import { MAX_QUERY_CHARS } from './search-text.js';

const messageId = z.string().regex(/^\d{1,19}$/);
const cursor = z.object({ stamp: z.string().datetime(), id: messageId }).strict();

export const SEARCH_PAGE = 20;

export const searchSchemas = {
  /** Plaintext messages containing every word of `query`, newest first; `before`: the last hit of the previous page. */
  search: z
    .object({
      query: z.string().trim().min(1).max(MAX_QUERY_CHARS),
      peer: bareJid.optional(),
      before: cursor.optional(),
      limit: z.number().int().min(1).max(50).default(SEARCH_PAGE),
    })
    .strict(),
  /** The page of a conversation around one of its messages (a search hit), oldest first. */
  historyAround: z.object({ peer: conversationJid, id: messageId, half: z.number().int().min(1).max(50).default(25) }).strict(),
  /** Messages newer than `after` (paging back down to the present from an "around" page), oldest first. */
  historyNewer: z.object({ peer: conversationJid, after: cursor, limit: z.number().int().min(1).max(100).default(50) }).strict(),
  mutes: z.object({}).strict(),
  setMuted: z.object({ peer: conversationJid, muted: z.boolean() }).strict(),
} as const;

export interface SearchHitDTO {
  message: MessageDTO;
  /** A window of the body around the first hit; `ranges` are the matches in it, [start, end) in UTF-16 units. */
  snippet: { text: string; ranges: [number, number][]; cutStart: boolean; cutEnd: boolean };
}

export interface SearchResults {
  search: { hits: SearchHitDTO[]; hasMore: boolean };
  historyAround: { messages: MessageDTO[]; hasOlder: boolean; hasNewer: boolean };
  historyNewer: { messages: MessageDTO[]; hasMore: boolean };
  mutes: { peers: string[] };
  setMuted: Record<string, never>;
}

export interface SearchEvents {
  /** The account's muted conversations changed (by any tab): the whole list. */
  mutes: (e: { peers: string[] }) => void;
}
