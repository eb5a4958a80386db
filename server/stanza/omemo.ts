/**
 * OMEMO 0.3 (XEP-0384 v0.3, eu.siacs.conversations.axolotl) as the server sees it: device lists and
 * bundle nodes. Bundles and <encrypted> elements stay opaque; the server only checks their outer shape.
 */
import { xml, type Element } from '@xmpp/xml';
import parseXml from 'ltx/lib/parse.js';
import { NS } from './ns.js';

export const DEVICELIST_NODE = `${NS.omemo}.devicelist`;
export const bundleNode = (deviceId: number) => `${NS.omemo}.bundles:${deviceId}`;
/** XEP-0384: device ids are random 31-bit integers > 0. */
export const MAX_DEVICE_ID = 2 ** 31 - 1;
export const MAX_DEVICES = 200;
const MAX_BUNDLE_CHARS = 64_000;

export const isDeviceId = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_DEVICE_ID;

export function parseDeviceList(list: Element | null | undefined): number[] {
  if (!list || list.name !== 'list' || list.attrs.xmlns !== NS.omemo) return [];
  const ids = new Set<number>();
  for (const d of list.getChildren('device')) {
    const id = Number(d.attrs.id);
    if (isDeviceId(id)) ids.add(id);
    if (ids.size >= MAX_DEVICES) break;
  }
  return [...ids];
}

export function buildDeviceList(ids: number[]): Element {
  return xml('list', { xmlns: NS.omemo }, ...ids.map((id) => xml('device', { id: String(id) })));
}

export class OmemoShapeError extends Error {}

/** Parses a bundle handed over by a tab: must be one `<bundle xmlns='eu.siacs.conversations.axolotl'>` with the required parts. */
export function parseBundleXml(text: string): Element {
  if (text.length > MAX_BUNDLE_CHARS) throw new OmemoShapeError('bundle too large');
  let el: Element;
  try {
    el = parseXml(text);
  } catch {
    throw new OmemoShapeError('bundle is not well-formed XML');
  }
  if (el.name !== 'bundle' || el.attrs.xmlns !== NS.omemo) throw new OmemoShapeError(`bundle must be <bundle xmlns='${NS.omemo}'>`);
  for (const part of ['signedPreKeyPublic', 'signedPreKeySignature', 'identityKey', 'prekeys']) {
    if (!el.getChild(part)) throw new OmemoShapeError(`bundle lacks <${part}>`);
  }
  return el;
}

/** Node options OMEMO needs: readable by anyone (XEP-0384 §5.3.2 "SHOULD be world readable"). */
export const OPEN_NODE = { 'pubsub#access_model': 'open' } as const;
export const OPEN_BUNDLE_NODE = { 'pubsub#access_model': 'open', 'pubsub#max_items': '1' } as const;
