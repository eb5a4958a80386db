/**
 * Message Replies (XEP-0461) with the Fallback Indication (XEP-0428): `<reply to='FULLJID' id='TARGET'/>` and
 * `<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='N'/></fallback>`, the range
 * naming the "> quoted" lines at the start of the body that a client without replies shows instead.
 *
 * Ranges count Unicode code points (XEP-0426), not UTF-16 units. The server stores the range as sent and leaves the
 * body whole: for OMEMO the body is inside the ciphertext and only the tab can strip it (client/ui/chat/reply.ts).
 */
import { xml, type Element } from '@xmpp/xml';
import { parseJid } from './jid.js';
import { NS } from './ns.js';

export const NS_REPLY = 'urn:xmpp:reply:0';
export const NS_FALLBACK = NS.fallback;
const MAX_ID = 256;
/** Far beyond any stanza body (MAX_BODY_CHARS); only keeps the numbers sane. */
const MAX_OFFSET = 1_000_000;

export interface ReplyRef {
  /** The target's id attribute (XEP-0461 §3: the stanza id in one-to-one chat). */
  id: string;
  /** Full or bare JID of the target's author, when the sender said; informational. */
  to: string | null;
  /** The code point range [start, end) of the body that is the fallback quote, when declared and sane. */
  fallback: { start: number; end: number } | null;
}

function offset(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{1,7}$/.test(v)) return null;
  const n = Number(v);
  return n <= MAX_OFFSET ? n : null;
}

export function parseReply(el: Element): ReplyRef | null {
  const r = el.getChild('reply', NS_REPLY);
  if (!r) return null;
  const id = r.attrs.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID) return null;
  const to = typeof r.attrs.to === 'string' && parseJid(r.attrs.to) ? String(r.attrs.to) : null;
  return { id, to, fallback: replyFallback(el) };
}

/** The first fallback range for replies on the body; a fallback for another feature is not ours to strip. */
function replyFallback(el: Element): { start: number; end: number } | null {
  for (const f of el.getChildren('fallback', NS_FALLBACK)) {
    if (f.attrs.for !== NS_REPLY) continue;
    const body = f.getChild('body');
    if (!body) continue;
    const start = offset(body.attrs.start);
    const end = offset(body.attrs.end);
    if (start !== null && end !== null && start < end) return { start, end };
  }
  return null;
}

/** The fallback quote a client without replies shows: each line of the quoted text prefixed with "> ". */
export function quoteFallback(quoted: string, maxChars = 200): string {
  const cut = [...quoted].length > maxChars ? `${[...quoted].slice(0, maxChars).join('')}…` : quoted;
  return `${cut.split('\n').map((l) => `> ${l}`).join('\n')}\n`;
}

/** The reply and fallback elements to add to a message whose body starts with a fallback of `fallbackLength` code points. */
export function buildReply(ref: { id: string; to: string }, fallbackLength: number): Element[] {
  const els = [xml('reply', { xmlns: NS_REPLY, to: ref.to, id: ref.id })];
  if (fallbackLength > 0) {
    els.push(xml('fallback', { xmlns: NS_FALLBACK, for: NS_REPLY }, xml('body', { start: '0', end: String(fallbackLength) })));
  }
  return els;
}

/** Code point length, as XEP-0426 counts. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
