/**
 * Avatars: XEP-0084 (User Avatar over PEP: metadata node with <info/>, data node with base64) and XEP-0153
 * (vCard-based avatars: a SHA-1 in presence, the picture in vcard-temp PHOTO). Pure parse/build, strict:
 * an id is a 40-hex SHA-1, base64 must decode, and a declared or decoded size above the bound is refused.
 */
import { xml, type Element } from '@xmpp/xml';
import { buildItemsGet, parseItems } from './pubsub.js';

export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';
export const NS_VCARD_TEMP = 'vcard-temp';

/** The largest avatar we accept, declared or decoded (1 MiB). */
export const MAX_AVATAR_BYTES = 1024 * 1024;

const SHA1_HEX = /^[0-9a-f]{40}$/;

export function isSha1Hex(s: unknown): s is string {
  return typeof s === 'string' && SHA1_HEX.test(s);
}

export interface AvatarInfo {
  id: string;
  bytes: number;
  type: string;
  width: number | null;
  height: number | null;
}

/** What a metadata item says: an avatar (the PNG-able one we can fetch from PEP), none (disabled), or nothing usable. */
export type AvatarMetadata = { kind: 'avatar'; info: AvatarInfo } | { kind: 'none' } | { kind: 'invalid'; reason: string };

function positiveInt(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{1,10}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * XEP-0084 §4.2: the <metadata/> payload. Several <info/> may be listed; only one without `url` (its data is in the
 * PEP data node) is usable by us: we never fetch from a URL a contact chose. An empty <metadata/> disables the avatar.
 */
export function parseMetadata(payload: Element | null, maxBytes = MAX_AVATAR_BYTES): AvatarMetadata {
  if (!payload || payload.name !== 'metadata' || payload.getNS() !== NS_AVATAR_METADATA) return { kind: 'invalid', reason: 'not a metadata element' };
  const infos = payload.getChildren('info');
  if (infos.length === 0) return { kind: 'none' };
  const local = infos.filter((i) => i.attrs.url === undefined);
  if (local.length === 0) return { kind: 'invalid', reason: 'only URL avatars' };
  const preferred = local.find((i) => i.attrs.type === 'image/png') ?? local[0]!;
  const id = preferred.attrs.id;
  if (!isSha1Hex(typeof id === 'string' ? id.toLowerCase() : id)) return { kind: 'invalid', reason: 'id is not a SHA-1' };
  const bytes = positiveInt(preferred.attrs.bytes);
  if (bytes === null || bytes === 0) return { kind: 'invalid', reason: 'bytes missing or not a number' };
  if (bytes > maxBytes) return { kind: 'invalid', reason: `declared ${bytes} bytes, more than ${maxBytes}` };
  const type = preferred.attrs.type;
  if (typeof type !== 'string' || !/^image\/[\w.+-]{1,64}$/.test(type)) return { kind: 'invalid', reason: 'type missing or not an image type' };
  return {
    kind: 'avatar',
    info: { id: (id as string).toLowerCase(), bytes, type, width: positiveInt(preferred.attrs.width), height: positiveInt(preferred.attrs.height) },
  };
}

/** Strict base64 (whitespace allowed, as XML wraps it): decodes or throws. */
export function decodeBase64Strict(text: string, maxBytes = MAX_AVATAR_BYTES): Buffer {
  const clean = text.replace(/[\s]+/g, '');
  if (clean.length === 0) throw new AvatarParseError('empty data');
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) throw new AvatarParseError('not base64');
  if ((clean.length / 4) * 3 - (clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0) > maxBytes) {
    throw new AvatarParseError(`data larger than ${maxBytes} bytes`);
  }
  return Buffer.from(clean, 'base64');
}

export class AvatarParseError extends Error {
  override name = 'AvatarParseError';
}

/** A metadata notification or items result: the item id must equal the info id (XEP-0084 §4.2). */
export function metadataFromItem(item: { id: string | null; payload: Element | null }, maxBytes = MAX_AVATAR_BYTES): AvatarMetadata {
  const meta = parseMetadata(item.payload, maxBytes);
  if (meta.kind === 'avatar' && item.id !== null && item.id.toLowerCase() !== meta.info.id) return { kind: 'invalid', reason: 'item id differs from info id' };
  return meta;
}

export function buildDataGet(to: string, id: string): Element {
  return xml('iq', { type: 'get', to }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: NS_AVATAR_DATA }, xml('item', { id }))));
}

export function buildMetadataGet(to: string): Element {
  return buildItemsGet(to, NS_AVATAR_METADATA, 1);
}

/** The bytes of the data item `id` in an items result of the data node. Throws AvatarParseError. */
export function dataFromResult(result: Element, id: string, maxBytes = MAX_AVATAR_BYTES): Buffer {
  const item = parseItems(result).find((i) => i.id !== null && i.id.toLowerCase() === id);
  if (!item) throw new AvatarParseError('data item missing');
  const data = item.payload;
  if (!data || data.name !== 'data' || data.getNS() !== NS_AVATAR_DATA) throw new AvatarParseError('not a data element');
  return decodeBase64Strict(data.getText(), maxBytes);
}

export function buildDataPayload(bytes: Buffer): Element {
  return xml('data', { xmlns: NS_AVATAR_DATA }, bytes.toString('base64'));
}

export function buildMetadataPayload(info: AvatarInfo | null): Element {
  if (!info) return xml('metadata', { xmlns: NS_AVATAR_METADATA });
  const attrs: Record<string, string> = { id: info.id, bytes: String(info.bytes), type: info.type };
  if (info.width !== null) attrs.width = String(info.width);
  if (info.height !== null) attrs.height = String(info.height);
  return xml('metadata', { xmlns: NS_AVATAR_METADATA }, xml('info', attrs));
}

/**
 * XEP-0153 §4.1: the <x xmlns='vcard-temp:x:update'/> of a presence. `hash`: the SHA-1 of the photo; `none`: an empty
 * <photo/> (no avatar); `unknown`: no <photo/> (the client is not ready to say), or no element at all: null.
 */
export type PhotoUpdate = { kind: 'hash'; hash: string } | { kind: 'none' } | { kind: 'unknown' };

export function parsePhotoUpdate(presence: Element): PhotoUpdate | null {
  const x = presence.getChild('x', NS_VCARD_UPDATE);
  if (!x) return null;
  const photo = x.getChild('photo');
  if (!photo) return { kind: 'unknown' };
  const text = photo.getText().trim().toLowerCase();
  if (text === '') return { kind: 'none' };
  return isSha1Hex(text) ? { kind: 'hash', hash: text } : { kind: 'unknown' };
}

export function buildPhotoUpdate(hash: string | null): Element {
  return xml('x', { xmlns: NS_VCARD_UPDATE }, hash === null ? xml('photo') : xml('photo', {}, hash));
}

export function buildVcardGet(to?: string): Element {
  return xml('iq', to ? { type: 'get', to } : { type: 'get' }, xml('vCard', { xmlns: NS_VCARD_TEMP }));
}

/** The PHOTO of a vcard-temp result: its bytes and type, or null when there is none. Throws AvatarParseError. */
export function photoFromVcard(result: Element, maxBytes = MAX_AVATAR_BYTES): { bytes: Buffer; type: string | null } | null {
  const vcard = result.getChild('vCard', NS_VCARD_TEMP);
  if (!vcard) return null;
  const photo = vcard.getChild('PHOTO');
  if (!photo) return null;
  const binval = photo.getChild('BINVAL');
  if (!binval) return null; // EXTVAL (a URL) is never fetched
  const type = photo.getChildText('TYPE')?.trim() || null;
  return { bytes: decodeBase64Strict(binval.getText(), maxBytes), type };
}

/**
 * Our own vCard with its PHOTO replaced (or removed with null), every other field kept as it was. `current` is the
 * <vCard/> element of a get result, or null when the account had none.
 */
export function replacePhoto(current: Element | null, photo: { bytes: Buffer; type: string } | null): Element {
  const children = (current?.children ?? []).filter((c): c is Element => typeof c !== 'string' && c.name !== 'PHOTO');
  const vcard = xml('vCard', { xmlns: NS_VCARD_TEMP }, ...children);
  if (photo) vcard.append(xml('PHOTO', {}, xml('TYPE', {}, photo.type), xml('BINVAL', {}, photo.bytes.toString('base64'))));
  return xml('iq', { type: 'set' }, vcard);
}
