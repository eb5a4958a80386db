/**
 * Editing one's last message (XEP-0308): which message the composer of a conversation is correcting, and how the
 * correction is sent (encrypted when the original was).
 */
import { signal } from '@preact/signals';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import type { RunCommand } from '../../app/socket.js';
import { omemo } from '../../app/omemo-loader.js';
import { encryptForConversation } from './encryption.js';
import { forDecryption } from './versions.js';
import { t } from '../../i18n/index.js';

export interface Editing {
  peer: string;
  message: MessageDTO;
  /** The text to start from. */
  text: string;
}

export const editing = signal<Editing | null>(null);

/** Our newest message that may still be corrected: sent by us (not failed), not retracted, not a file. */
export function lastEditable(messages: readonly MessageDTO[]): MessageDTO | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.direction !== 'out') continue;
    return m.retractedAt === undefined && m.state !== 'failed' && m.attachment === undefined ? m : undefined;
  }
  return undefined;
}

/** The text a message shows: its body, or its plaintext for this tab (null when this tab cannot read it). */
export async function messageText(m: MessageDTO): Promise<string | null> {
  if (m.encrypted === null) return m.body;
  const service = await omemo();
  if (!service) return null;
  const r = await service.decryptMessage(forDecryption(m));
  return r.status === 'ok' || r.status === 'plain' ? r.text : null;
}

export async function startEditing(peer: string, m: MessageDTO): Promise<boolean> {
  const text = await messageText(m);
  if (text === null) return false;
  editing.value = { peer, message: m, text };
  return true;
}

/** Sends the correction; the bubble changes from the server's `message` event (and this answer). */
export async function sendCorrection(run: RunCommand, e: Editing, body: string, originId: string): Promise<MessageDTO> {
  if (e.message.encrypted === null) return (await run('correct', { peer: e.peer, id: e.message.id, body, originId })).message;
  const service = await omemo();
  if (!service) throw new Error(t('composer.noE2e'));
  const { encrypted } = await encryptForConversation(service, e.peer, body, { originId });
  return (await run('correct', { peer: e.peer, id: e.message.id, encrypted, originId })).message;
}
