/** RFC 6121 roster: parse items from a roster result or push, build roster sets. */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { bareOf } from './jid.js';

export interface RosterItem {
  jid: string;
  name: string | null;
  subscription: 'none' | 'to' | 'from' | 'both' | 'remove';
  ask: boolean;
  groups: string[];
}

const SUBSCRIPTIONS = new Set(['none', 'to', 'from', 'both', 'remove']);

export function parseRosterQuery(query: Element | undefined): RosterItem[] {
  if (!query) return [];
  const items: RosterItem[] = [];
  for (const item of query.getChildren('item')) {
    const jid = bareOf(item.attrs.jid);
    if (!jid) continue;
    const sub = String(item.attrs.subscription ?? 'none');
    items.push({
      jid,
      name: item.attrs.name ? String(item.attrs.name).slice(0, 256) : null,
      subscription: (SUBSCRIPTIONS.has(sub) ? sub : 'none') as RosterItem['subscription'],
      ask: item.attrs.ask === 'subscribe',
      groups: item.getChildren('group').map((g) => g.text().slice(0, 256)).filter(Boolean).slice(0, 50),
    });
  }
  return items;
}

export function buildRosterGet(): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster }));
}

export function buildRosterSet(item: { jid: string; name?: string | null; remove?: boolean }): Element {
  const attrs: Record<string, string> = { jid: item.jid };
  if (item.remove) attrs.subscription = 'remove';
  else if (item.name) attrs.name = item.name;
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS.roster }, xml('item', attrs)));
}
