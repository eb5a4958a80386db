/**
 * One-to-one stanzas turned into their room forms: a message, correction, retraction or reaction to a room goes as
 * type groupchat to the room's bare JID; a private message through the room carries the muc#user marker. No feature
 * imports here: messages, mutations and reactions all use it.
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from '../../stanza/ns.js';
import { NS_MUC_USER } from '../../stanza/muc.js';

/** Type groupchat, and no delivery receipt request (XEP-0184 §5.3: not in groupchat). */
export function asGroupchat(el: Element): Element {
  el.attrs.type = 'groupchat';
  el.children = el.children.filter((c) => typeof c === 'string' || !(c.name === 'request' && c.attrs.xmlns === NS.receipts));
  return el;
}

/** A private message through the room (XEP-0045 §7.5): marked with the empty muc#user element. */
export function asMucPm(el: Element): Element {
  el.cnode(xml('x', { xmlns: NS_MUC_USER }));
  return el;
}

/** What a reaction, reply or moderation names in a room: the room's stanza-id (XEP-0444 §4, XEP-0461 §3), else the id. */
export function roomTargetId(row: { type: string; stanzaId: string | null; messageId: string | null; originId: string | null }): string | null {
  return (row.type === 'groupchat' ? row.stanzaId : null) ?? row.messageId ?? row.originId;
}
