/**
 * Last Message Correction (XEP-0308): a message whose `<replace id>` names the `id` attribute of an earlier message
 * of the same sender in the same conversation. An OMEMO correction is a new `<encrypted>` with `<replace>` outside it
 * (as Conversations sends it), so the server can apply it without reading it.
 */
import { xml, type Element } from '@xmpp/xml';
import { buildChatMessage, parseChatMessage, type ChatMessage, type OutgoingChat } from './message.js';

export const NS_CORRECT = 'urn:xmpp:message-correct:0';
const MAX_ID = 256;

export interface Correction {
  /** The new content, with the sender and conversation of the stanza that brought it. */
  message: ChatMessage;
  /** The id of the message it corrects (its `id` attribute; some clients name their previous correction). */
  replaces: string;
  /** What identifies this correction itself, so seeing it twice (live, then from the archive) applies it once. */
  sourceId: string | null;
}

/** Null when the stanza is no correction, or not one that could be applied (no content, no usable id). */
export function parseCorrection(el: Element, ownBare: string, now = new Date()): Correction | null {
  const replace = el.getChild('replace', NS_CORRECT);
  if (!replace) return null;
  const id = replace.attrs.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID) return null;
  const message = parseChatMessage(el, ownBare, now);
  if (!message) return null;
  return { message, replaces: id, sourceId: message.originId ?? message.messageId };
}

/** Is this a correction at all (applied or ignored, it must never be stored as a message of its own)? */
export function isCorrection(el: Element): boolean {
  return el.getChild('replace', NS_CORRECT) !== undefined;
}

export function buildCorrection(m: OutgoingChat & { replaces: string }): Element {
  const el = buildChatMessage(m);
  el.cnode(xml('replace', { xmlns: NS_CORRECT, id: m.replaces }));
  return el;
}
