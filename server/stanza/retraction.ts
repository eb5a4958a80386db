/**
 * Message Retraction (XEP-0424): `<retract id='ORIGIN-ID' xmlns='urn:xmpp:message-retract:1'/>` names the origin-id
 * (XEP-0359) of an earlier message of the same sender. Version 0 of the XEP put it inside XEP-0422 fastening:
 * `<apply-to xmlns='urn:xmpp:fasten:0' id='…'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to>`; both are read.
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { parseJid } from './jid.js';
import { stanzaIdBy } from './message.js';

export const NS_RETRACT = NS.retract;
export const NS_RETRACT_0 = NS.retract0;
export const NS_FASTEN = NS.fasten;
export const NS_FALLBACK = NS.fallback;
export const RETRACTION_FALLBACK_BODY = 'This person attempted to retract a previous message, but it is unsupported by your client.';
const MAX_ID = 256;

export interface Retraction {
  direction: 'in' | 'out';
  /** Bare JID of the conversation. */
  peer: string;
  /** The origin-id of the retracted message. */
  retracts: string;
  /** Our archive's stanza-id of the retraction itself, when it has one. */
  stanzaId: string | null;
}

function retractedId(el: Element): string | null {
  const direct = el.getChild('retract', NS_RETRACT)?.attrs.id;
  if (typeof direct === 'string') return direct;
  for (const apply of el.getChildren('apply-to', NS_FASTEN)) {
    if (apply.getChild('retract', NS_RETRACT_0) && typeof apply.attrs.id === 'string') return apply.attrs.id;
  }
  return null;
}

/** Is this a retraction at all (applied or ignored, its fallback body must never be stored as a message)? */
export function isRetraction(el: Element): boolean {
  return el.getChild('retract', NS_RETRACT) !== undefined || el.getChildren('apply-to', NS_FASTEN).some((a) => a.getChild('retract', NS_RETRACT_0) !== undefined);
}

/** The retraction a one-to-one message carries, with the conversation and sender side it comes from, or null. */
export function parseRetraction(el: Element, ownBare: string): Retraction | null {
  if (el.name !== 'message') return null;
  const type = el.attrs.type ? String(el.attrs.type) : 'normal';
  if (type !== 'chat' && type !== 'normal') return null;
  const id = retractedId(el);
  if (!id || id.length > MAX_ID) return null;
  const from = parseJid(el.attrs.from ?? ownBare);
  const to = parseJid(el.attrs.to ?? ownBare);
  if (!from || !to) return null;
  const outgoing = from.bare === ownBare;
  const peer = outgoing ? to.bare : from.bare;
  if (peer === ownBare && !outgoing) return null;
  return { direction: outgoing ? 'out' : 'in', peer, retracts: id, stanzaId: stanzaIdBy(el, ownBare) };
}

/** Retracts our message with origin-id `retracts`: a fallback body for clients without XEP-0424, archived (XEP-0334). */
export function buildRetraction(m: { to: string; id: string; retracts: string }): Element {
  return xml(
    'message',
    { to: m.to, type: 'chat', id: m.id },
    xml('retract', { xmlns: NS_RETRACT, id: m.retracts }),
    xml('fallback', { xmlns: NS_FALLBACK, for: NS_RETRACT }),
    xml('body', {}, RETRACTION_FALLBACK_BODY),
    xml('origin-id', { xmlns: NS.sid, id: m.id }),
    xml('store', { xmlns: NS.hints }),
  );
}
