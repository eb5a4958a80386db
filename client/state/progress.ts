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
  if (held.state === next.state || advances(held.state, next.state)) return newerContent(next, held);
  const kept = newerContent(held, next);
  return next.stanzaId !== null && kept.stanzaId === null ? { ...kept, stanzaId: next.stanzaId } : kept;
}

/**
 * `base` with the content of `other` if that is newer: a correction (higher version) or a retraction. Content and state
 * move forward independently: a late copy from before a correction must not bring back the old text.
 */
function newerContent(base: MessageDTO, other: MessageDTO): MessageDTO {
  const newer = (other.retractedAt !== undefined && base.retractedAt === undefined) || (base.retractedAt === undefined && (other.version ?? 0) > (base.version ?? 0));
  if (!newer) return base;
  const { body, encrypted, attachment, editedAt, version, correctionId, retractedAt } = other;
  const merged: MessageDTO = { ...base, body, encrypted, editedAt, version, correctionId, retractedAt, attachment };
  for (const key of ['attachment', 'editedAt', 'version', 'correctionId', 'retractedAt'] as const) if (merged[key] === undefined) delete merged[key];
  return merged;
}

function advances(from: MessageDTO['state'], to: MessageDTO['state']): boolean {
  if (to === 'failed') return from === 'pending' || from === 'sent';
  if (from === 'failed') return RANK[to] >= RANK.sent;
  return RANK[to] > RANK[from];
}
