/** Ordering keys shared by the stores: messages are shown by stamp, then by database id. */
import type { MessageDTO } from '../../server/realtime/contract.js';

/** Compares two database ids (bigint as decimal string) without losing precision. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Milliseconds of an ISO 8601 stamp; stamps written with different precision or offsets still compare right. */
function stampMs(stamp: string): number {
  const ms = Date.parse(stamp);
  return Number.isNaN(ms) ? 0 : ms;
}

export function compareMessages(a: Pick<MessageDTO, 'stamp' | 'id'>, b: Pick<MessageDTO, 'stamp' | 'id'>): number {
  return stampMs(a.stamp) - stampMs(b.stamp) || compareIds(a.id, b.id);
}
