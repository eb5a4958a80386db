/**
 * Message Archive Management (XEP-0313, urn:xmpp:mam:2) with Result Set Management (XEP-0059).
 * Results are accepted only from our own archive: no 'from', or our own bare JID (§4.3.1 / security).
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { forwardedMessage } from './carbons.js';
import { parseDelay } from './message.js';

export interface MamQuery {
  queryId: string;
  /** Page forwards from this archive id (exclusive). */
  after?: string;
  /** Page backwards from this archive id (exclusive); '' = from the newest. */
  before?: string;
  start?: Date;
  end?: Date;
  with?: string;
  max: number;
}

export function buildMamQuery(q: MamQuery): Element {
  const fields = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS.mam))];
  if (q.with) fields.push(xml('field', { var: 'with' }, xml('value', {}, q.with)));
  if (q.start) fields.push(xml('field', { var: 'start' }, xml('value', {}, q.start.toISOString())));
  if (q.end) fields.push(xml('field', { var: 'end' }, xml('value', {}, q.end.toISOString())));
  const set = [xml('max', {}, String(q.max))];
  if (q.after !== undefined) set.push(xml('after', {}, q.after));
  if (q.before !== undefined) set.push(q.before === '' ? xml('before') : xml('before', {}, q.before));
  return xml(
    'iq',
    { type: 'set' },
    xml('query', { xmlns: NS.mam, queryid: q.queryId }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields), xml('set', { xmlns: NS.rsm }, ...set)),
  );
}

export type MamResult =
  /** `stamp`: when our archive stored the message (its <forwarded><delay>), trusted over any delay the sender wrote. */
  | { kind: 'result'; queryId: string; archiveId: string; message: Element; stamp: Date | null }
  | { kind: 'forged'; from: string }
  | { kind: 'none' };

export function parseMamResult(outer: Element, ownBare: string): MamResult {
  const result = outer.getChild('result', NS.mam);
  if (!result) return { kind: 'none' };
  const from = outer.attrs.from ? String(outer.attrs.from).toLowerCase() : ownBare;
  if (from !== ownBare) return { kind: 'forged', from: String(outer.attrs.from) };
  const archiveId = result.attrs.id;
  const forwarded = result.getChild('forwarded', NS.forward);
  const stamp = forwarded ? parseDelay(forwarded) : null;
  const message = forwardedMessage(forwarded);
  if (typeof archiveId !== 'string' || !archiveId || !message) return { kind: 'none' };
  return { kind: 'result', queryId: String(result.attrs.queryid ?? ''), archiveId, message, stamp };
}

export interface MamFin {
  complete: boolean;
  first: string | null;
  last: string | null;
  count: number | null;
}

export function parseMamFin(iqResult: Element): MamFin | null {
  const fin = iqResult.getChild('fin', NS.mam);
  if (!fin) return null;
  const set = fin.getChild('set', NS.rsm);
  const count = set?.getChildText('count');
  return {
    complete: fin.attrs.complete === 'true' || fin.attrs.complete === '1',
    first: set?.getChildText('first') || null,
    last: set?.getChildText('last') || null,
    count: count ? Number(count) : null,
  };
}
