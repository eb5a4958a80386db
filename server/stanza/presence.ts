/** RFC 6121 presence: parse inbound presence, build our own. */
import { xml, type Element } from '@xmpp/xml';
import { parseJid } from './jid.js';
import { NS } from './ns.js';

export type Show = 'available' | 'away' | 'chat' | 'dnd' | 'xa';
const SHOWS = new Set(['away', 'chat', 'dnd', 'xa']);

export interface InboundPresence {
  bare: string;
  resource: string;
  /** 'unavailable' removes the resource; subscription types are handled apart. */
  type: 'available' | 'unavailable' | 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' | 'error' | 'probe';
  show: Show;
  status: string | null;
  priority: number;
  /** The sender's nickname (XEP-0172), bounded; only meaningful in a subscription request. */
  nick: string | null;
}

const TYPES = new Set(['unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'error', 'probe']);

export function parsePresence(el: Element): InboundPresence | null {
  const from = parseJid(el.attrs.from);
  if (!from) return null;
  const rawType = el.attrs.type ? String(el.attrs.type) : 'available';
  if (rawType !== 'available' && !TYPES.has(rawType)) return null;
  const show = el.getChildText('show');
  const prio = Number.parseInt(el.getChildText('priority') ?? '0', 10);
  return {
    bare: from.bare,
    resource: from.resource,
    type: rawType as InboundPresence['type'],
    show: show && SHOWS.has(show) ? (show as Show) : 'available',
    status: el.getChildText('status')?.slice(0, 1024) ?? null,
    priority: Number.isFinite(prio) ? Math.max(-128, Math.min(127, prio)) : 0,
    nick: el.getChild('nick', NS.nick)?.text().trim().slice(0, 256) || null,
  };
}

export function buildPresence(show: Show, status: string | null, extra: Element[] = []): Element {
  const children: Element[] = [...extra];
  if (show !== 'available') children.push(xml('show', {}, show));
  if (status) children.push(xml('status', {}, status));
  return xml('presence', {}, ...children);
}

/** A subscription presence; a request (`subscribe`) may carry our nickname (XEP-0172 §4.1). */
export function buildSubscription(to: string, type: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed', nick: string | null = null): Element {
  return xml('presence', { to, type }, ...(type === 'subscribe' && nick ? [xml('nick', { xmlns: NS.nick }, nick)] : []));
}

/** Orders shows from most to least reachable, to pick the best over a contact's resources. */
export const SHOW_RANK: Record<Show | 'unavailable', number> = { chat: 5, available: 4, away: 3, xa: 2, dnd: 1, unavailable: 0 };
