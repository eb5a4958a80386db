/**
 * One-to-one chat messages (RFC 6121) with unique ids (XEP-0359), delay stamps (XEP-0203),
 * storage hints (XEP-0334) and OMEMO payloads carried opaquely (XEP-0384, XEP-0380).
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { parseJid } from './jid.js';
import { buildOob, parseOob, type Attachment } from './oob.js';
import { parseReply, type ReplyRef } from './reply.js';

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
  /** The order key: the delay stamp when there is one, else the arrival time (see `orderStamp` for live messages). */
  stamp: Date;
  /** The XEP-0203 delay the message carried, and whether our own server added it (offline storage). */
  delay: Delay | null;
  /** XEP-0461: the message this one replies to (outside the ciphertext, also for OMEMO). */
  reply: ReplyRef | null;
}

export interface Delay {
  stamp: Date;
  /** `from` names our own server (offline storage, XEP-0160): set by the server, unless a sender forged it. */
  fromOwnServer: boolean;
}

/** Largest body we store: Prosody caps stanzas at 256 KiB anyway; this only guards other servers. */
export const MAX_BODY_CHARS = 262_144;
const MAX_ID = 256;
const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** A sender's delay within this much of the arrival time is believed (clock skew, latency, a short resend). */
export const DELAY_SKEW_MS = 5 * 60_000;

function shortAttr(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID ? v : null;
}

/** Reads XEP-0203 <delay stamp>, refusing garbage and stamps from the future. */
export function parseDelay(el: Element, now = new Date()): Date | null {
  return readStamp(el.getChild('delay', NS.delay), now);
}

function readStamp(delay: Element | undefined, now: Date): Date | null {
  const raw = delay?.attrs.stamp;
  if (typeof raw !== 'string') return null;
  const t = Date.parse(raw);
  if (!Number.isFinite(t) || t > now.getTime() + FUTURE_TOLERANCE_MS) return null;
  return new Date(t);
}

/**
 * The delay to read: the last one our own server added (it appends after whatever the sender put in), else the first.
 * A sender can write `from='our.domain'` too, which is why `orderStamp` believes such a delay only in the offline burst.
 */
function pickDelay(el: Element, ownDomain: string, now: Date): Delay | null {
  const delays = el.getChildren('delay', NS.delay);
  const own = delays.filter((d) => String(d.attrs.from ?? '').toLowerCase() === ownDomain).at(-1);
  const chosen = own ?? delays[0];
  const stamp = readStamp(chosen, now);
  return stamp ? { stamp, fromOwnServer: chosen === own } : null;
}

/**
 * Our archive's stanza-id (XEP-0359). Only one whose `by` is our own bare JID counts: anyone else's is a claim by a
 * stranger. XEP-0359 §3 says an entity that generates stanza-ids MUST delete any element whose `by` it would set, so a
 * stanza has at most one per `by`; Prosody 0.12 does not (test/integration/trust-stamps.test.ts shows it). The server
 * appends its own element after the sender's content, so when several claim our JID, the LAST one is the server's and
 * the earlier ones are forgeries it failed to delete.
 */
export function stanzaIdBy(el: Element, by: string): string | null {
  const own = el.getChildren('stanza-id', NS.sid).filter((sid) => String(sid.attrs.by ?? '').toLowerCase() === by).at(-1);
  return own ? shortAttr(own.attrs.id) : null;
}

/**
 * When to order a live message by the time its sender claims (XEP-0203) rather than its arrival. A contact can write
 * any delay, so a claim is believed only within DELAY_SKEW_MS of the arrival, or when our own server stamped it
 * during the offline burst (the stanzas it flushes right after a new session's initial presence). Otherwise the
 * message is ordered by its arrival and the claim kept for display only (`claimedStamp`).
 */
export function orderStamp(delay: Delay | null, receivedAt: Date, offlineBurst: boolean): { stamp: Date; claimedStamp: Date | null } {
  if (!delay) return { stamp: receivedAt, claimedStamp: null };
  const skew = Math.abs(receivedAt.getTime() - delay.stamp.getTime());
  if (skew <= DELAY_SKEW_MS || (delay.fromOwnServer && offlineBurst)) return { stamp: delay.stamp, claimedStamp: null };
  return { stamp: receivedAt, claimedStamp: delay.stamp };
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
  const delay = pickDelay(el, ownBare.slice(ownBare.indexOf('@') + 1), now);
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
    stamp: delay?.stamp ?? now,
    delay,
    reply: parseReply(el),
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
  /** More payload outside the body and ciphertext, e.g. a reply (XEP-0461) and its fallback (server/stanza/reply.ts). */
  extra?: Element[];
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
  if (m.extra) children.push(...m.extra);
  children.push(xml('origin-id', { xmlns: NS.sid, id: m.originId }));
  // XEP-0334: an encrypted message without a <body> would not be archived by default.
  children.push(xml('store', { xmlns: NS.hints }));
  children.push(xml('request', { xmlns: NS.receipts }));
  children.push(xml('markable', { xmlns: NS.markers }));
  return xml('message', { to: m.to, type: 'chat', id: m.id }, ...children);
}
