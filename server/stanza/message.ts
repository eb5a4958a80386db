/**
 * One-to-one chat messages (RFC 6121) with unique ids (XEP-0359), delay stamps (XEP-0203),
 * storage hints (XEP-0334) and OMEMO payloads carried opaquely (XEP-0384, XEP-0380).
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { parseJid } from './jid.js';
import { buildOob, parseOob, type Attachment } from './oob.js';

export interface ChatMessage {
  direction: 'in' | 'out';
  /** Bare JID of the other party. */
  peer: string;
  from: string;
  to: string;
  type: 'chat' | 'normal';
  messageId: string | null;
  originId: string | null;
  /** Only a stanza-id stamped by our own account's archive (by = our bare JID) is trusted. */
  stanzaId: string | null;
  body: string | null;
  /** The `<encrypted>` element serialised as XML: the server never looks inside. */
  encrypted: string | null;
  /** A file shared by link (XEP-0066), plain messages only: an OMEMO message's files are inside the ciphertext. */
  attachment: Attachment | null;
  stamp: Date;
}

/** Largest body we store: Prosody caps stanzas at 256 KiB anyway; this only guards other servers. */
export const MAX_BODY_CHARS = 262_144;
const MAX_ID = 256;
const FUTURE_TOLERANCE_MS = 5 * 60_000;

function shortAttr(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID ? v : null;
}

/** Reads XEP-0203 <delay stamp>, refusing garbage and stamps from the future. */
export function parseDelay(el: Element, now = new Date()): Date | null {
  const delay = el.getChild('delay', NS.delay);
  const raw = delay?.attrs.stamp;
  if (typeof raw !== 'string') return null;
  const t = Date.parse(raw);
  if (!Number.isFinite(t) || t > now.getTime() + FUTURE_TOLERANCE_MS) return null;
  return new Date(t);
}

export function stanzaIdBy(el: Element, by: string): string | null {
  for (const sid of el.getChildren('stanza-id', NS.sid)) {
    if (String(sid.attrs.by ?? '').toLowerCase() === by) return shortAttr(sid.attrs.id);
  }
  return null;
}

/**
 * Parses a chat message addressed to or sent by `ownBare`. Returns null for stanzas that are not
 * one-to-one content (errors, groupchat, headlines, chat states without body, malformed addresses).
 */
export function parseChatMessage(el: Element, ownBare: string, now = new Date()): ChatMessage | null {
  if (el.name !== 'message') return null;
  const type = el.attrs.type ? String(el.attrs.type) : 'normal';
  if (type !== 'chat' && type !== 'normal') return null;
  const from = parseJid(el.attrs.from ?? ownBare);
  const to = parseJid(el.attrs.to ?? ownBare);
  if (!from || !to) return null;

  const encryptedEl = el.getChild('encrypted', NS.omemo);
  const rawBody = el.getChildText('body');
  const body = rawBody === null ? null : rawBody.slice(0, MAX_BODY_CHARS);
  if (!encryptedEl && (body === null || body === '')) return null;

  const outgoing = from.bare === ownBare;
  const peer = outgoing ? to.bare : from.bare;
  if (peer === ownBare && !outgoing) return null;

  return {
    direction: outgoing ? 'out' : 'in',
    peer,
    from: el.attrs.from ? String(el.attrs.from) : ownBare,
    to: el.attrs.to ? String(el.attrs.to) : ownBare,
    type,
    messageId: shortAttr(el.attrs.id),
    originId: shortAttr(el.getChild('origin-id', NS.sid)?.attrs.id),
    stanzaId: stanzaIdBy(el, ownBare),
    body,
    encrypted: encryptedEl ? encryptedEl.toString() : null,
    attachment: encryptedEl ? null : parseOob(el),
    stamp: parseDelay(el, now) ?? now,
  };
}

export interface OutgoingChat {
  to: string;
  id: string;
  originId: string;
  body?: string;
  /** Serialised OMEMO `<encrypted>` element built by the tab. */
  encrypted?: Element;
  /** URL of an uploaded file (XEP-0363), sent as XEP-0066 OOB; the body should be the same URL. */
  oobUrl?: string;
}

export const ENCRYPTED_FALLBACK_BODY =
  'This message is encrypted with OMEMO, which your client does not seem to support.';

export function buildChatMessage(m: OutgoingChat): Element {
  const children: Element[] = [];
  if (m.encrypted) {
    children.push(m.encrypted);
    // XEP-0380: name the encryption so other clients can say why they cannot read it.
    children.push(xml('encryption', { xmlns: NS.eme, namespace: NS.omemo, name: 'OMEMO' }));
    children.push(xml('body', {}, ENCRYPTED_FALLBACK_BODY));
  } else if (m.body !== undefined) {
    children.push(xml('body', {}, m.body));
    if (m.oobUrl) children.push(buildOob(m.oobUrl));
  }
  children.push(xml('origin-id', { xmlns: NS.sid, id: m.originId }));
  // XEP-0334: an encrypted message without a <body> would not be archived by default.
  children.push(xml('store', { xmlns: NS.hints }));
  children.push(xml('request', { xmlns: NS.receipts }));
  children.push(xml('markable', { xmlns: NS.markers }));
  return xml('message', { to: m.to, type: 'chat', id: m.id }, ...children);
}
