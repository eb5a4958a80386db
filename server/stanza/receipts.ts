/** Delivery receipts (XEP-0184) and chat markers (XEP-0333): parse what peers report, build what we report. */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export type Acknowledgement = { kind: 'received' | 'displayed'; id: string };

/** A receipt or a marker carried by a message, if any. 'acknowledged' is treated like 'displayed'. */
export function parseAcknowledgement(el: Element): Acknowledgement | null {
  const receipt = el.getChild('received', NS.receipts);
  if (receipt && typeof receipt.attrs.id === 'string') return { kind: 'received', id: receipt.attrs.id };
  const received = el.getChild('received', NS.markers);
  if (received && typeof received.attrs.id === 'string') return { kind: 'received', id: received.attrs.id };
  const displayed = el.getChild('displayed', NS.markers) ?? el.getChild('acknowledged', NS.markers);
  if (displayed && typeof displayed.attrs.id === 'string') return { kind: 'displayed', id: displayed.attrs.id };
  return null;
}

export function wantsReceipt(el: Element): boolean {
  return !!el.getChild('request', NS.receipts) && typeof el.attrs.id === 'string';
}

export function buildReceipt(to: string, id: string): Element {
  return xml('message', { to, type: 'chat' }, xml('received', { xmlns: NS.receipts, id }), xml('store', { xmlns: NS.hints }));
}

/** XEP-0333 §4: the marker names the id the sender gave (origin-id for clients that use it, else the stanza id). */
export function buildDisplayed(to: string, id: string): Element {
  return xml('message', { to, type: 'chat' }, xml('displayed', { xmlns: NS.markers, id }), xml('store', { xmlns: NS.hints }));
}
