/**
 * XEP-0191 Blocking Command: the blocklist get, block and unblock sets, and the pushes the server sends when the list
 * changes (from this or another client of the account). Items are JIDs of any form (bare, full, domain); each is
 * validated and normalised (server/stanza/jid.ts), and a list is bounded at BLOCKLIST_MAX items.
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { bareOf, parseJid } from './jid.js';

/** Items Parley keeps of a blocklist (a server could send millions). */
export const BLOCKLIST_MAX = 10_000;

/** A JID as a blocklist item: lower-case local part and domain, the resource kept; null when it is not a JID. */
export function normaliseBlockedJid(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const j = parseJid(raw);
  if (!j) return null;
  return j.resource ? `${j.bare}/${j.resource}` : j.bare;
}

/** The items of a <blocklist/>, <block/> or <unblock/>: valid JIDs only, no duplicates, at most BLOCKLIST_MAX. */
export function parseItems(el: Element | undefined): { jids: string[]; truncated: boolean } {
  const seen = new Set<string>();
  let truncated = false;
  for (const item of el?.getChildren('item') ?? []) {
    const jid = normaliseBlockedJid(item.attrs.jid);
    if (!jid) continue;
    if (seen.size >= BLOCKLIST_MAX) {
      truncated = true;
      break;
    }
    seen.add(jid);
  }
  return { jids: [...seen], truncated };
}

export function buildBlocklistGet(): Element {
  return xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS.blocking }));
}

/** The list a blocklist result carries; null when the result has no <blocklist/>. */
export function parseBlocklistResult(iq: Element): { jids: string[]; truncated: boolean } | null {
  const list = iq.getChild('blocklist', NS.blocking);
  return list ? parseItems(list) : null;
}

function itemsOf(jids: readonly string[]): Element[] {
  if (jids.length > BLOCKLIST_MAX) throw new TypeError(`at most ${BLOCKLIST_MAX} JIDs at once`);
  const clean = new Set<string>();
  for (const raw of jids) {
    const jid = normaliseBlockedJid(raw);
    if (!jid) throw new TypeError('not a JID');
    clean.add(jid);
  }
  return [...clean].map((jid) => xml('item', { jid }));
}

/** Blocks one or more JIDs (XEP-0191 §3.3): a block needs at least one item. */
export function buildBlock(jids: readonly string[]): Element {
  if (jids.length === 0) throw new TypeError('a block names at least one JID');
  return xml('iq', { type: 'set' }, xml('block', { xmlns: NS.blocking }, ...itemsOf(jids)));
}

/** Unblocks the JIDs named, or everyone with 'all' (an <unblock/> without items, §3.5). */
export function buildUnblock(jids: readonly string[] | 'all'): Element {
  if (jids !== 'all' && jids.length === 0) throw new TypeError("an unblock names at least one JID (or 'all')");
  return xml('iq', { type: 'set' }, xml('unblock', { xmlns: NS.blocking }, ...(jids === 'all' ? [] : itemsOf(jids))));
}

export type BlockingPush =
  | { kind: 'block'; jids: string[] }
  | { kind: 'unblock'; jids: string[] }
  | { kind: 'unblock-all' }
  /** From anyone but our own account: ignored (as RFC 6121 §2.1.6 says for roster pushes). */
  | { kind: 'foreign'; from: string }
  /** A push of ours that makes no sense: a block without a valid item, or both or neither of block and unblock. */
  | { kind: 'invalid'; reason: string };

/**
 * A blocklist push: an <iq type='set'> with <block/> or <unblock/>, from our own bare JID or without 'from'.
 * Returns null for an iq that is not a blocking push at all.
 */
export function parseBlockingPush(iq: Element, ownBare: string): BlockingPush | null {
  if (iq.name !== 'iq' || iq.attrs.type !== 'set') return null;
  const block = iq.getChild('block', NS.blocking);
  const unblock = iq.getChild('unblock', NS.blocking);
  if (!block && !unblock) return null;
  if (iq.attrs.from !== undefined) {
    const from = String(iq.attrs.from);
    // Our bare JID only: not our domain, not another resource of ours (pushes come from the account itself).
    if (from.includes('/') || bareOf(from) !== ownBare) return { kind: 'foreign', from: from.slice(0, 3071) };
  }
  if (block && unblock) return { kind: 'invalid', reason: 'both block and unblock' };
  if (block) {
    const { jids } = parseItems(block);
    if (jids.length === 0) return { kind: 'invalid', reason: 'a block without a valid item' };
    return { kind: 'block', jids };
  }
  if (unblock!.getChildren('item').length === 0) return { kind: 'unblock-all' };
  const { jids } = parseItems(unblock);
  if (jids.length === 0) return { kind: 'invalid', reason: 'an unblock without a valid item' };
  return { kind: 'unblock', jids };
}

/** Whether `bare` (a bare JID) is blocked by a list: itself, or its whole domain (XEP-0191 §3.4 matching, bare part). */
export function matchesBlocklist(list: ReadonlySet<string>, bare: string): boolean {
  if (list.has(bare)) return true;
  const at = bare.indexOf('@');
  return at !== -1 && list.has(bare.slice(at + 1));
}
