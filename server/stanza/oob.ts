/**
 * Files shared by link (XEP-0066 Out of Band Data, `jabber:x:oob`): how Conversations, Dino, Gajim and Parley send
 * an uploaded file (XEP-0363), with the body usually equal to the URL. Only http(s) URLs become attachments; the
 * server never fetches them. Everything here is hostile input: the name is shown to people, the URL is a link.
 */
import { xml, type Element } from '@xmpp/xml';

export const NS_OOB = 'jabber:x:oob';

export const MAX_ATTACHMENT_URL = 2048;
export const MAX_ATTACHMENT_NAME = 200;

export interface Attachment {
  url: string;
  name: string;
  /** Bytes; known for files we uploaded ourselves. */
  size: number | null;
  /** MIME type; known for files we uploaded ourselves. */
  type: string | null;
}

// C0/C1 controls, DEL, and the Unicode bidi controls (LRE..RLO, LRI..PDI, LRM, RLM, ALM): a name like
// "photo\u202Egnp.exe" must not display as "photoexe.png".
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Removes control and bidi characters and squashes whitespace runs (no length bound). */
export function stripUnsafe(raw: string): string {
  return raw.replace(UNSAFE_CHARS, '').replace(/\s+/g, ' ').trim();
}

/** A file name fit to show: unsafe characters removed, whitespace runs squashed, bounded length. */
export function cleanFileName(raw: string): string {
  const cleaned = stripUnsafe(raw);
  // Cut on code points, so a surrogate pair is never split in half.
  const points = [...cleaned];
  return points.length > MAX_ATTACHMENT_NAME ? points.slice(0, MAX_ATTACHMENT_NAME - 1).join('') + '…' : cleaned;
}

/** The URL if it is an absolute http(s) URL of reasonable length, else null (javascript:, data:, relative, garbage). */
export function safeLinkUrl(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.length > MAX_ATTACHMENT_URL) return null;
  // Whitespace or controls inside a URL are how scheme filters get fooled ("java\tscript:"): refuse them outright.
  if (/[\s\u0000-\u001f\u007f]/.test(trimmed)) return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  // Also check what we hand on: the text itself must start with the scheme we validated.
  if (!/^https?:\/\//i.test(trimmed)) return null;
  return trimmed;
}

/** The decoded last path segment of a URL ("" when there is none). */
export function nameFromUrl(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return '';
  }
  const last = path.split('/').filter(Boolean).at(-1) ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last; // malformed %-escape: show it as it is
  }
}

/** Reads the first `<x xmlns='jabber:x:oob'>` of a message; null when there is none or its URL is not a safe http(s) link. */
export function parseOob(message: Element): Attachment | null {
  const x = message.getChild('x', NS_OOB);
  if (!x) return null;
  const url = safeLinkUrl(x.getChildText('url'));
  if (!url) return null;
  const desc = cleanFileName(x.getChildText('desc') ?? '');
  const name = desc || cleanFileName(nameFromUrl(url)) || cleanFileName(new URL(url).hostname) || 'file';
  return { url, name, size: null, type: null };
}

export function buildOob(url: string, desc?: string): Element {
  return xml('x', { xmlns: NS_OOB }, xml('url', {}, url), ...(desc ? [xml('desc', {}, desc)] : []));
}
