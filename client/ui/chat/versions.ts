/**
 * Corrected OMEMO messages: each version is its own ciphertext, so each is decrypted and cached under its own key
 * (`<id>.<version>`; the original keeps the plain message id), with the origin-id of the stanza that brought it,
 * under which this tab kept the text if it sent that version itself.
 */
import type { MessageDTO, MessageVersionDTO } from '../../../server/realtime/contract.js';

export function versionKey(id: string, version: number): string {
  return version === 0 ? id : `${id}.${version}`;
}

/** The message as the OMEMO layer should see it: its current version's key and origin-id. */
export function forDecryption(m: MessageDTO): MessageDTO {
  if (!m.version || m.encrypted === null) return m;
  return { ...m, id: versionKey(m.id, m.version), originId: m.correctionId ?? null };
}

/** An earlier version as a message of its own, for decryption. */
export function versionAsMessage(m: MessageDTO, v: MessageVersionDTO): MessageDTO {
  return { ...m, id: versionKey(m.id, v.version), originId: v.version === 0 ? m.originId : v.sourceId, body: v.body, encrypted: v.encrypted, stamp: v.stamp };
}
