/** The reactions part of the contract (XEP-0444): set this account's reactions to a message, hear everyone's. */
import { z } from 'zod';
import { bareJid } from './fields.js';

/** Mirrors server/stanza/reactions.ts (the client must not import it): the server checks each is one emoji. */
const MAX_REACTIONS = 20;
const MAX_REACTION_CHARS = 32;

export const reactionSchemas = {
  /** Our whole set of reactions to message `id` (a row id) of conversation `peer`; an empty set takes them back. */
  react: z
    .object({
      peer: bareJid,
      id: z.string().regex(/^\d{1,19}$/),
      emojis: z.array(z.string().min(1).max(MAX_REACTION_CHARS)).max(MAX_REACTIONS),
    })
    .strict(),
} as const;

export interface ReactionDTO {
  emoji: string;
  /** Bare JIDs of who reacted with it (in one-to-one chat: the contact and/or us). */
  from: string[];
}

export interface ReactionsDTO {
  peer: string;
  /** The message's row id. */
  id: string;
  /** By emoji, in order of first use; empty when nobody reacts any more. */
  reactions: ReactionDTO[];
}

export interface ReactionResults {
  react: ReactionsDTO;
}

export interface ReactionEvents {
  /** The reactions to one message changed: ours from any tab or client of the account, or the contact's. */
  reactions: (e: ReactionsDTO) => void;
}
