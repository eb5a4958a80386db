/**
 * XEP-0363 HTTP File Upload: finding the upload service (XEP-0030 disco items and info on the account's domain),
 * asking it for a slot, and reading the slot (a PUT URL with headers and a GET URL).
 */
import { xml, type Element } from '@xmpp/xml';
import { NS_DISCO_INFO } from './caps.js';
import { safeLinkUrl } from './oob.js';

export const NS_UPLOAD = 'urn:xmpp:http:upload:0';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_DATA = 'jabber:x:data';

/** The only slot headers XEP-0363 lets a client send on; anything else from the server is dropped. */
const ALLOWED_PUT_HEADERS = new Set(['authorization', 'cookie', 'expires']);
const MAX_HEADER_VALUE = 8192;
const MAX_ITEMS = 50;

export interface UploadSlot {
  putUrl: string;
  getUrl: string;
  /** Header name (as the server spelled it) -> value; only Authorization, Cookie, Expires. */
  headers: Record<string, string>;
}

export class SlotError extends Error {}

export function buildDiscoItems(to: string): Element {
  return xml('iq', { type: 'get', to }, xml('query', { xmlns: NS_DISCO_ITEMS }));
}

export function buildDiscoInfo(to: string): Element {
  return xml('iq', { type: 'get', to }, xml('query', { xmlns: NS_DISCO_INFO }));
}

/** The JIDs of a disco#items result (at most 50: a server listing more is not worth walking). */
export function parseDiscoItems(result: Element): string[] {
  const query = result.getChild('query', NS_DISCO_ITEMS);
  if (!query) return [];
  const jids: string[] = [];
  for (const item of query.getChildren('item')) {
    const jid = item.attrs.jid;
    if (typeof jid === 'string' && jid.length > 0 && jid.length <= 3071 && !item.attrs.node) jids.push(jid);
    if (jids.length >= MAX_ITEMS) break;
  }
  return [...new Set(jids)];
}

/**
 * Whether a disco#info result is an upload service, and its max-file-size (bytes; null when it announces none).
 * Returns undefined when it is not an upload service.
 */
export function parseUploadInfo(result: Element): { maxFileSize: number | null } | undefined {
  const query = result.getChild('query', NS_DISCO_INFO);
  if (!query) return undefined;
  if (!query.getChildren('feature').some((f) => f.attrs.var === NS_UPLOAD)) return undefined;
  for (const form of query.getChildren('x', NS_DATA)) {
    const fields = form.getChildren('field');
    const formType = fields.find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value');
    if (formType !== NS_UPLOAD) continue;
    const raw = fields.find((f) => f.attrs.var === 'max-file-size')?.getChildText('value')?.trim() ?? '';
    const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
    return { maxFileSize: Number.isSafeInteger(n) && n > 0 ? n : null };
  }
  return { maxFileSize: null };
}

export function buildSlotRequest(service: string, file: { name: string; size: number; type: string }): Element {
  return xml(
    'iq',
    { type: 'get', to: service },
    xml('request', { xmlns: NS_UPLOAD, filename: file.name, size: String(file.size), 'content-type': file.type }),
  );
}

/** Reads a slot; throws SlotError when it is unusable (missing or non-http(s) URLs). */
export function parseSlot(result: Element): UploadSlot {
  const slot = result.getChild('slot', NS_UPLOAD);
  if (!slot) throw new SlotError('the upload service answered without a slot');
  const put = slot.getChild('put');
  const putUrl = safeLinkUrl(put?.attrs.url as string | undefined);
  const getUrl = safeLinkUrl(slot.getChild('get')?.attrs.url as string | undefined);
  if (!putUrl || !getUrl) throw new SlotError('the upload service gave a slot without usable http(s) URLs');
  const headers: Record<string, string> = {};
  for (const h of put?.getChildren('header') ?? []) {
    const name = String(h.attrs.name ?? '');
    // Newlines would split the header; the value is the server's, but it must not become a second header.
    const value = h.getText().replace(/[\r\n]+/g, ' ').trim();
    if (ALLOWED_PUT_HEADERS.has(name.toLowerCase()) && value && value.length <= MAX_HEADER_VALUE) headers[name] = value;
  }
  return { putUrl, getUrl, headers };
}

/**
 * The byte limit a slot refusal names (XEP-0363 <file-too-large><max-file-size>), or undefined when the refusal is
 * not about size (null: about size, but without a number).
 */
export function fileTooLarge(errorStanza: Element | undefined): number | null | undefined {
  const el = errorStanza?.getChild('error')?.getChild('file-too-large', NS_UPLOAD);
  if (!el) return undefined;
  const raw = el.getChildText('max-file-size')?.trim() ?? '';
  return /^\d{1,16}$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : null;
}
