/** How a corrected or retracted row shows in its MessageDTO (server/features/mutations.ts changes the rows). */
import type { MessageDTO } from '../realtime/contract.js';
import type { MessageRow } from '../store/messages.js';

/** The columns mutations add to a message row (SELECT * returns them). */
export type MutableRow = MessageRow & { editedAt?: Date | null; version?: number; correctionId?: string | null; retractedAt?: Date | null };

/** The mutation fields of a row for its MessageDTO (absent when never corrected or retracted). */
export function mutationFields(row: MessageRow): Partial<MessageDTO> {
  const r = row as MutableRow;
  return {
    ...(r.editedAt ? { editedAt: r.editedAt.toISOString() } : {}),
    ...(r.version ? { version: r.version } : {}),
    ...(r.correctionId ? { correctionId: r.correctionId } : {}),
    ...(r.retractedAt ? { retractedAt: r.retractedAt.toISOString() } : {}),
  };
}

