/**
 * Contact profiles: vCard4 over PEP (XEP-0292, node urn:xmpp:vcard4) and vcard-temp (XEP-0054).
 * Only text fields are read, each bounded; PHOTO (binary data or an external URL) is never read, so
 * nothing here can make us fetch an address a contact chose or carry megabytes to the tabs.
 */
import { xml, type Element } from '@xmpp/xml';
import { buildItemsGet, parseItems } from './pubsub.js';
import { NS_DISCO_INFO } from './caps.js';

export const NS_VCARD4 = 'urn:ietf:params:xml:ns:vcard-4.0';
export const NS_VCARD_TEMP = 'vcard-temp';
export const VCARD4_NODE = 'urn:xmpp:vcard4';
/** An account feature: the server answers vcard-temp from the vCard4 PEP node (Prosody's mod_vcard_legacy). */
export const PEP_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

/** What a profile may carry to a tab: a contact could otherwise fill every tab's memory with one stanza. */
export const PROFILE_LIMITS = {
  /** Names, phone numbers, dates, places. */
  shortChars: 256,
  urlChars: 2048,
  noteChars: 4000,
  /** Entries kept of a repeatable property (email, tel, url). */
  listEntries: 5,
  /** Child elements of a vCard looked at; the rest is ignored. */
  scannedChildren: 500,
} as const;

export interface ProfileFields {
  fn: string | null;
  nickname: string | null;
  emails: string[];
  tels: string[];
  urls: string[];
  org: string | null;
  title: string | null;
  bday: string | null;
  note: string | null;
  locality: string | null;
  country: string | null;
}

export class VcardShapeError extends Error {
  override name = 'VcardShapeError';
}

export function emptyProfile(): ProfileFields {
  return { fn: null, nickname: null, emails: [], tels: [], urls: [], org: null, title: null, bday: null, note: null, locality: null, country: null };
}

export function isEmptyProfile(p: ProfileFields): boolean {
  return Object.values(p).every((v) => v === null || (Array.isArray(v) && v.length === 0));
}

/** Trims and bounds a text; empty text is no value. Never splits a surrogate pair. */
export function clipText(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null;
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (trimmed.length <= max) return trimmed;
  let cut = trimmed.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export function buildVcard4Get(to: string): Element {
  return buildItemsGet(to, VCARD4_NODE, 1);
}

export function buildVcardTempGet(to: string): Element {
  return xml('iq', { type: 'get', to }, xml('vCard', { xmlns: NS_VCARD_TEMP }));
}

/** disco#info of our own account (no 'to': the server answers for the account). */
export function buildOwnDiscoInfo(): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS_DISCO_INFO }));
}

/** Whether a disco#info result says vcard-temp is only a view of the vCard4 node. */
export function convertsVcardTemp(result: Element): boolean {
  const query = result.getChild('query', NS_DISCO_INFO);
  return !!query?.getChildren('feature').some((f) => f.attrs.var === PEP_VCARD_CONVERSION);
}

/**
 * The vCard4 payload of a PEP items result: null when the node has no item; VcardShapeError when the
 * item holds something that is not a vCard4.
 */
export function vcard4FromItems(result: Element): Element | null {
  const items = parseItems(result);
  if (items.length === 0) return null;
  const payload = items.at(-1)!.payload;
  if (!payload || payload.name !== 'vcard' || payload.getNS() !== NS_VCARD4) throw new VcardShapeError('the vcard4 item is not a vCard4');
  return payload;
}

/** The vCard of a vcard-temp result: null when the result is empty (XEP-0054: no vCard stored). */
export function vcardTempFromResult(result: Element): Element | null {
  const children = result.getChildElements();
  if (children.length === 0) return null;
  const vcard = children.find((c) => c.name === 'vCard');
  if (!vcard || vcard.getNS() !== NS_VCARD_TEMP) throw new VcardShapeError('the result holds no vcard-temp vCard');
  return vcard;
}

/** Direct text of `el` (text nodes only: nested markup is not text). */
function textOf(el: Element | undefined): string | null {
  if (!el) return null;
  let out = '';
  for (const c of el.children) if (typeof c === 'string') out += c;
  return out;
}

/** Child elements in the vCard's own namespace (extensions of other namespaces are not ours to read). */
function childrenOf(el: Element): Element[] {
  const ns = el.getNS();
  return el.getChildElements().slice(0, PROFILE_LIMITS.scannedChildren).filter((c) => c.getNS() === ns);
}

function firstChild(el: Element, names: readonly string[]): Element | undefined {
  return childrenOf(el).find((c) => names.includes(c.name));
}

function setOnce(p: ProfileFields, key: Exclude<keyof ProfileFields, 'emails' | 'tels' | 'urls'>, text: string | null, max: number): void {
  if (p[key] !== null) return;
  p[key] = clipText(text, max);
}

function addTo(list: string[], text: string | null, max: number): void {
  const value = clipText(text, max);
  if (value !== null && list.length < PROFILE_LIMITS.listEntries && !list.includes(value)) list.push(value);
}

const V4_TEXT = ['text'];
const V4_DATE = ['date', 'date-time', 'date-and-or-time', 'text'];

/** Reads an RFC 6351 `<vcard>` element. Unknown properties and PHOTO/LOGO/SOUND are ignored. */
export function parseVcard4(vcard: Element): ProfileFields {
  if (vcard.name !== 'vcard' || vcard.getNS() !== NS_VCARD4) throw new VcardShapeError('not a vCard4');
  const { shortChars: s, urlChars, noteChars } = PROFILE_LIMITS;
  const p = emptyProfile();
  const value = (prop: Element, types: readonly string[]) => textOf(firstChild(prop, types));
  for (const prop of childrenOf(vcard)) {
    switch (prop.name) {
      case 'fn': setOnce(p, 'fn', value(prop, V4_TEXT), s); break;
      case 'nickname': setOnce(p, 'nickname', value(prop, V4_TEXT), s); break;
      case 'email': addTo(p.emails, value(prop, V4_TEXT), s); break;
      case 'tel': {
        const uri = value(prop, ['uri']);
        addTo(p.tels, uri !== null ? uri.replace(/^\s*tel:/i, '') : value(prop, V4_TEXT), s);
        break;
      }
      case 'url': addTo(p.urls, value(prop, ['uri', 'text']), urlChars); break;
      case 'org': setOnce(p, 'org', value(prop, V4_TEXT), s); break;
      case 'title': setOnce(p, 'title', value(prop, V4_TEXT), s); break;
      case 'bday': setOnce(p, 'bday', value(prop, V4_DATE), s); break;
      case 'note': setOnce(p, 'note', value(prop, V4_TEXT), noteChars); break;
      case 'adr':
        if (p.locality === null && p.country === null) {
          p.locality = clipText(textOf(firstChild(prop, ['locality'])), s);
          p.country = clipText(textOf(firstChild(prop, ['country'])), s);
        }
        break;
      default: break;
    }
  }
  return p;
}

/** Reads a XEP-0054 `<vCard xmlns='vcard-temp'>`. PHOTO is ignored (BINVAL can be megabytes, EXTVAL any address). */
export function parseVcardTemp(vcard: Element): ProfileFields {
  if (vcard.name !== 'vCard' || vcard.getNS() !== NS_VCARD_TEMP) throw new VcardShapeError('not a vcard-temp vCard');
  const { shortChars: s, urlChars, noteChars } = PROFILE_LIMITS;
  const p = emptyProfile();
  // Old clients put the address straight into <EMAIL>/<TEL>; XEP-0054 wants <USERID>/<NUMBER>.
  const inner = (prop: Element, name: string) => {
    const child = firstChild(prop, [name]);
    return child ? textOf(child) : textOf(prop);
  };
  for (const prop of childrenOf(vcard)) {
    switch (prop.name) {
      case 'FN': setOnce(p, 'fn', textOf(prop), s); break;
      case 'NICKNAME': setOnce(p, 'nickname', textOf(prop), s); break;
      case 'EMAIL': addTo(p.emails, inner(prop, 'USERID'), s); break;
      case 'TEL': addTo(p.tels, inner(prop, 'NUMBER'), s); break;
      case 'URL': addTo(p.urls, textOf(prop), urlChars); break;
      case 'ORG': setOnce(p, 'org', textOf(firstChild(prop, ['ORGNAME'])), s); break;
      case 'TITLE': setOnce(p, 'title', textOf(prop), s); break;
      case 'BDAY': setOnce(p, 'bday', textOf(prop), s); break;
      case 'DESC': case 'NOTE': setOnce(p, 'note', textOf(prop), noteChars); break;
      case 'ADR':
        if (p.locality === null && p.country === null) {
          p.locality = clipText(textOf(firstChild(prop, ['LOCALITY'])), s);
          p.country = clipText(textOf(firstChild(prop, ['CTRY', 'COUNTRY'])), s);
        }
        break;
      default: break;
    }
  }
  return p;
}
