/** RFC 6121 roster: parse items from a roster result or push, build roster sets. */
import { sliceText } from './xml-text.js';
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
      name: item.attrs.name ? sliceText(String(item.attrs.name), ROSTER_LIMITS.nameChars) : null,
      subscription: (SUBSCRIPTIONS.has(sub) ? sub : 'none') as RosterItem['subscription'],
      ask: item.attrs.ask === 'subscribe',
      groups: item.getChildren('group').map((g) => g.text().slice(0, 256)).filter(Boolean).slice(0, 50),
    });
  }
  return items;
}

/** The roster version a result or push carries (RFC 6121 §2.6), or null when the server does not version. */
export function rosterVersion(query: Element | undefined): string | null {
  const ver = query?.attrs.ver;
  return typeof ver === 'string' && ver.length <= 1024 ? ver : null;
}

/** `ver`: the version we hold ('' for none yet) when the server offers versioning; undefined when it does not. */
export function buildRosterGet(ver?: string): Element {
  return xml('iq', { type: 'get' }, xml('query', ver === undefined ? { xmlns: NS.roster } : { xmlns: NS.roster, ver }));
}

/** Limits of what Parley writes into a roster item (the server may have its own, lower ones). */
export const ROSTER_LIMITS = { nameChars: 256, groupChars: 256, groups: 50 } as const;

/** Group names as a roster item takes them: trimmed, none empty, no duplicates, bounded. */
export function cleanGroups(groups: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const g of groups) {
    const name = sliceText(g.trim(), ROSTER_LIMITS.groupChars);
    if (name) seen.add(name);
    if (seen.size === ROSTER_LIMITS.groups) break;
  }
  return [...seen];
}

/** A roster set replaces the whole item (RFC 6121 §2.1.2.2): name and groups are always sent together. */
export function buildRosterSet(item: { jid: string; name?: string | null; groups?: readonly string[]; remove?: boolean }): Element {
  const attrs: Record<string, string> = { jid: item.jid };
  if (item.remove) return xml('iq', { type: 'set' }, xml('query', { xmlns: NS.roster }, xml('item', { ...attrs, subscription: 'remove' })));
  const name = item.name === null || item.name === undefined ? undefined : sliceText(item.name.trim(), ROSTER_LIMITS.nameChars);
  if (name) attrs.name = name;
  const groups = cleanGroups(item.groups ?? []).map((g) => xml('group', {}, g));
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS.roster }, xml('item', attrs, ...groups)));
}
