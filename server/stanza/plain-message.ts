/**
 * A plain incoming chat message: a body (plain or OMEMO) and nothing that refers to an earlier message or changes
 * one (no correction, retraction, reaction, reply, receipt, marker), no delay stamp, no carbon, no room markup.
 * Such a message depends on no stanza before it, so the inbound queue may store it beside them (features/inbound-queue.ts).
 * Decided by an allow-list of child elements: anything unknown makes the message an ordinary one, handled in line.
 */
import type { Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { bareOf } from './jid.js';

/** Child elements a plain message may carry, as `namespace name` ('' for the stanza's own namespace). */
const ALLOWED = new Set([
  ' body',
  `${NS.client} body`,
  `${NS.sid} origin-id`,
  `${NS.sid} stanza-id`,
  `${NS.receipts} request`,
  `${NS.markers} markable`,
  `${NS.chatstates} active`,
  `${NS.omemo} encrypted`,
  `${NS.eme} encryption`,
  `${NS.hints} store`,
]);

/** True for a plain chat message from someone else to `ownJid` (see above); the caller still rules out rooms. */
export function isPlainIncoming(el: Element, ownJid: string): boolean {
  if (el.name !== 'message') return false;
  const type = el.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  const from = bareOf(el.attrs.from);
  if (!from || from === ownJid) return false;
  const to = el.attrs.to === undefined ? ownJid : bareOf(el.attrs.to);
  if (to !== ownJid) return false;
  let body = false;
  for (const child of el.children) {
    if (typeof child === 'string') continue;
    if (!ALLOWED.has(`${child.attrs.xmlns ?? ''} ${child.name}`)) return false;
    if (child.name === 'body' || child.name === 'encrypted') body = true;
  }
  return body;
}
