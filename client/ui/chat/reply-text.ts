/**
 * Reply bodies (XEP-0461 with the XEP-0428 fallback): the "> quote" at the start of a reply's body is for clients
 * without replies. Ranges count code points (XEP-0426), not UTF-16 units, so an emoji in the quote counts once.
 * Pure functions: used for plain bodies and for OMEMO plaintexts after decryption alike.
 */
import type { ReplyDTO } from '../../../server/realtime/contract.js';

/** How much of the quoted message our fallback repeats (code points). */
export const QUOTE_CHARS = 200;

function codePointsOf(s: string): string[] {
  return Array.from(s);
}

/**
 * The body without its fallback range. Unchanged when the range does not fit the body, or when what it covers is not
 * a quote (every line starting with '>'): a sender must not be able to hide text from us that other clients show.
 */
export function stripFallback(body: string, reply: ReplyDTO | undefined): string {
  const range = reply?.fallback;
  if (!range) return body;
  const cps = codePointsOf(body);
  if (range.end > cps.length || range.start >= range.end) return body;
  if (!isQuote(cps.slice(range.start, range.end).join(''))) return body;
  return cps.slice(0, range.start).join('') + cps.slice(range.end).join('');
}

function isQuote(text: string): boolean {
  return text.split('\n').every((line) => line === '' || line.startsWith('>'));
}

/** The quoted text the fallback carries, without its "> " markers: shown when we do not have the quoted message. */
export function fallbackQuote(body: string, reply: ReplyDTO | undefined): string | null {
  const range = reply?.fallback;
  if (!range) return null;
  const cps = codePointsOf(body);
  if (range.end > cps.length || range.start >= range.end) return null;
  const text = cps.slice(range.start, range.end).join('');
  if (!isQuote(text)) return null;
  return text
    .split('\n')
    .map((l) => l.replace(/^> ?/, ''))
    .join('\n')
    .trim();
}

/** Our fallback for a reply to `quoted`: each line prefixed "> ", cut to QUOTE_CHARS, then a newline. */
export function buildFallback(quoted: string): { text: string; length: number } {
  const cps = codePointsOf(quoted.trim());
  const cut = cps.length > QUOTE_CHARS ? `${cps.slice(0, QUOTE_CHARS).join('')}…` : cps.join('');
  const text = `${cut.split('\n').map((l) => `> ${l}`).join('\n')}\n`;
  return { text, length: codePointsOf(text).length };
}

/** Whether a loaded message is the one a reply names (its id attribute, else its origin-id). */
export function isReplyTarget(m: { messageId?: string; originId: string | null }, id: string): boolean {
  return m.messageId === id || m.originId === id;
}
