/**
 * Message Carbons (XEP-0280) and forwarded messages (XEP-0297).
 * XEP-0280 §11: a client MUST ignore carbons whose outer 'from' is not its own bare JID —
 * otherwise anyone could inject messages "sent by us" (a known impersonation attack).
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { parseDelay } from './message.js';

export type Unwrapped =
  | { kind: 'carbon'; direction: 'sent' | 'received'; message: Element }
  | { kind: 'forged'; from: string }
  | { kind: 'none' };

export function unwrapCarbon(outer: Element, ownBare: string): Unwrapped {
  const wrapper = outer.getChild('sent', NS.carbons) ?? outer.getChild('received', NS.carbons);
  if (!wrapper) return { kind: 'none' };
  const from = String(outer.attrs.from ?? '');
  if (from.toLowerCase() !== ownBare) return { kind: 'forged', from };
  const inner = wrapper.getChild('forwarded', NS.forward)?.getChild('message');
  if (!inner) return { kind: 'none' };
  return { kind: 'carbon', direction: wrapper.name === 'sent' ? 'sent' : 'received', message: inner };
}

/** The forwarded message with the forwarder's <delay> copied onto it, so the usual parser reads the stamp. */
export function forwardedMessage(forwarded: Element | undefined): Element | null {
  const inner = forwarded?.getChild('message');
  if (!forwarded || !inner) return null;
  const delay = forwarded.getChild('delay', NS.delay);
  if (delay && !inner.getChild('delay', NS.delay)) inner.append(xml('delay', { xmlns: NS.delay, stamp: String(delay.attrs.stamp ?? '') }));
  return inner;
}

export function buildEnableCarbons(): Element {
  return xml('iq', { type: 'set' }, xml('enable', { xmlns: NS.carbons }));
}

export { parseDelay };
