/**
 * Chat State Notifications (XEP-0085): composing, paused, active, inactive, gone. Never history: a state arrives
 * on its own (no body) or beside a message, and is only passed to the tabs.
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { parseJid } from './jid.js';

export const CHAT_STATES = ['active', 'composing', 'paused', 'inactive', 'gone'] as const;
export type ChatState = (typeof CHAT_STATES)[number];

export interface ChatStateNotice {
  /** Bare JID of the contact whose state it is. */
  from: string;
  state: ChatState;
}

/**
 * The chat state a contact's message carries, or null. Only type chat (or no type), from someone else, live: a
 * delayed state (offline storage, XEP-0203) is stale by the time it arrives (XEP-0085 §5.5: not to be stored).
 */
export function parseChatState(el: Element, ownBare: string): ChatStateNotice | null {
  if (el.name !== 'message') return null;
  const type = el.attrs.type ? String(el.attrs.type) : 'normal';
  if (type !== 'chat' && type !== 'normal') return null;
  if (el.getChild('delay', NS.delay)) return null;
  const from = parseJid(el.attrs.from ?? '');
  if (!from || from.bare === ownBare) return null;
  // The first chat-state child counts; several in one stanza is a sender's bug (§5.1: at most one).
  const child = el.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS.chatstates);
  if (!child || !(CHAT_STATES as readonly string[]).includes(child.name)) return null;
  return { from: from.bare, state: child.name as ChatState };
}

/** A standalone notification: no body, and a hint that it is not worth archiving (XEP-0334). */
export function buildChatState(to: string, state: ChatState): Element {
  return xml('message', { to, type: 'chat' }, xml(state, { xmlns: NS.chatstates }), xml('no-store', { xmlns: NS.hints }));
}
