/** A message's state only moves forward, whatever order its events and command answers arrive in. */
import type { MessageDTO } from '../../server/realtime/contract.js';

/** Progress of a message, as the server moves it (server/features/messages.ts STATE_RANK). */
const RANK: Record<MessageDTO['state'], number> = { received: 0, pending: 1, sent: 2, delivered: 3, displayed: 4, failed: -1 };

/**
 * The version to keep when a message we hold arrives again. A copy that would move the state back (the late answer to
 * the `send` command saying 'pending' after an event said 'delivered') keeps the newer state and only fills in what it
 * lacked. 'failed' replaces only 'pending' or 'sent'; after 'failed', only the server's real progress counts.
 */
export function merge(held: MessageDTO, next: MessageDTO): MessageDTO {
  if (held.state === next.state || advances(held.state, next.state)) return next;
  return next.stanzaId !== null && held.stanzaId === null ? { ...held, stanzaId: next.stanzaId } : held;
}

function advances(from: MessageDTO['state'], to: MessageDTO['state']): boolean {
  if (to === 'failed') return from === 'pending' || from === 'sent';
  if (from === 'failed') return RANK[to] >= RANK.sent;
  return RANK[to] > RANK[from];
}
