/**
 * Writing our own profile: a vCard4 for PEP (XEP-0292, RFC 6351) and the same fields merged into our vcard-temp
 * (XEP-0054) for older servers and clients. The merge keeps what Parley does not edit (PHOTO above all: XEP-0153
 * avatars live there), and the nickname also goes to its own PEP node (XEP-0172).
 */
import { xml, type Element } from '@xmpp/xml';
import { NS_VCARD4, NS_VCARD_TEMP, VCARD4_NODE, type ProfileFields } from './vcard.js';

export const NS_NICK = 'http://jabber.org/protocol/nick';

const text = (name: string, value: string, kind = 'text') => xml(name, {}, xml(kind, {}, value));

/** An RFC 6351 vCard with exactly the fields given (empty ones left out). */
export function buildVcard4(p: ProfileFields): Element {
  const props: Element[] = [];
  if (p.fn) props.push(text('fn', p.fn));
  if (p.nickname) props.push(text('nickname', p.nickname));
  for (const e of p.emails) props.push(text('email', e));
  for (const t of p.tels) props.push(text('tel', `tel:${t.replace(/^tel:/i, '')}`, 'uri'));
  for (const u of p.urls) props.push(text('url', u, 'uri'));
  if (p.org) props.push(text('org', p.org));
  if (p.title) props.push(text('title', p.title));
  if (p.bday) props.push(text('bday', p.bday, 'date'));
  if (p.note) props.push(text('note', p.note));
  if (p.locality || p.country) {
    props.push(xml('adr', {}, ...(p.locality ? [xml('locality', {}, p.locality)] : []), ...(p.country ? [xml('country', {}, p.country)] : [])));
  }
  return xml('vcard', { xmlns: NS_VCARD4 }, ...props);
}

/** vcard-temp elements that `ProfileFields` covers: replaced by a save; every other one is kept as it was. */
const EDITED_TEMP = new Set(['FN', 'NICKNAME', 'EMAIL', 'TEL', 'URL', 'ORG', 'TITLE', 'BDAY', 'DESC', 'NOTE', 'ADR']);

/**
 * Our vcard-temp with the edited fields replaced: everything else of `existing` (PHOTO, N, JABBERID, ...) is kept,
 * in its order, ahead of the new fields. `existing` null: there was none.
 */
export function mergeVcardTemp(existing: Element | null, p: ProfileFields): Element {
  const kept = (existing?.children ?? []).filter((c): c is Element => typeof c !== 'string' && !EDITED_TEMP.has(c.name));
  const add: Element[] = [];
  if (p.fn) add.push(xml('FN', {}, p.fn));
  if (p.nickname) add.push(xml('NICKNAME', {}, p.nickname));
  for (const e of p.emails) add.push(xml('EMAIL', {}, xml('INTERNET'), xml('USERID', {}, e)));
  for (const t of p.tels) add.push(xml('TEL', {}, xml('VOICE'), xml('NUMBER', {}, t)));
  for (const u of p.urls) add.push(xml('URL', {}, u));
  if (p.org) add.push(xml('ORG', {}, xml('ORGNAME', {}, p.org)));
  if (p.title) add.push(xml('TITLE', {}, p.title));
  if (p.bday) add.push(xml('BDAY', {}, p.bday));
  if (p.note) add.push(xml('DESC', {}, p.note));
  if (p.locality || p.country) {
    add.push(xml('ADR', {}, xml('HOME'), ...(p.locality ? [xml('LOCALITY', {}, p.locality)] : []), ...(p.country ? [xml('CTRY', {}, p.country)] : [])));
  }
  return xml('vCard', { xmlns: NS_VCARD_TEMP }, ...kept, ...add);
}

/** XEP-0054 §3.2: our own vCard is set with no 'to'. */
export function buildVcardTempSet(vcard: Element): Element {
  return xml('iq', { type: 'set' }, vcard);
}

/** Our own vcard-temp (no 'to': the server answers for our account). */
export function buildOwnVcardTempGet(): Element {
  return xml('iq', { type: 'get' }, xml('vCard', { xmlns: NS_VCARD_TEMP }));
}

/** The vCard4 item (XEP-0292 §3.1: item id 'current'). */
export const VCARD4_ITEM = { node: VCARD4_NODE, id: 'current' } as const;

/** The XEP-0172 nickname payload; an empty nickname retracts it by publishing an empty <nick/>. */
export function buildNick(nick: string | null): Element {
  return xml('nick', { xmlns: NS_NICK }, ...(nick ? [nick] : []));
}
