/**
 * Room bookmarks: PEP Native Bookmarks (XEP-0402, one PEP item per room, item id = room JID) and, where the server
 * lacks them, the old private-XML storage (XEP-0048 over XEP-0049, one document with every room). Pure, no I/O.
 * The account's other clients write these too: everything read is bounded and checked.
 */
import { xml, type Element } from '@xmpp/xml';
import parse from 'ltx/lib/parse.js';
import { parseJid } from './jid.js';
import { buildPublish, buildRetract, buildItemsGet } from './pubsub.js';
import { validNick } from './muc.js';
import { isXmlText } from './xml-text.js';

export const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1';
/** XEP-0402 §3.3: the notification feature a client advertises to be told of changes. */
export const NS_BOOKMARKS2_NOTIFY = `${NS_BOOKMARKS2}+notify`;
export const NS_BOOKMARKS2_COMPAT = `${NS_BOOKMARKS2}#compat`;
export const NS_PRIVATE = 'jabber:iq:private';
export const NS_STORAGE_BOOKMARKS = 'storage:bookmarks';

const MAX_NAME = 256;
const MAX_PASSWORD = 256;
/** Other clients' <extensions> are kept and written back as they were, up to this size. */
export const MAX_EXTENSIONS_CHARS = 16_384;
export const MAX_BOOKMARKS = 1000;

export interface Bookmark {
  room: string;
  name: string | null;
  autojoin: boolean;
  nick: string | null;
  password: string | null;
  /** XEP-0402 <extensions> serialised as XML, opaque to Parley, kept so we never drop another client's data. */
  extensions: string | null;
}

function bool(v: unknown): boolean {
  return v === 'true' || v === '1';
}

function text(s: string | null | undefined, max: number): string | null {
  if (s === null || s === undefined) return null;
  const t = s.replace(/[\u0000-\u001f\u007f]/g, '');
  return t.length > 0 && t.length <= max ? t : null;
}

function roomOf(raw: unknown): string | null {
  const j = typeof raw === 'string' ? parseJid(raw) : null;
  return j && j.local && !j.resource ? j.bare : null;
}

function nickOf(el: Element): string | null {
  const n = el.getChildText('nick');
  return n !== null && validNick(n) ? n : null;
}

/** One XEP-0402 item: its id is the room JID, its payload a <conference/>. */
export function parseBookmark2(itemId: string | null, payload: Element | null): Bookmark | null {
  if (!payload || !payload.is('conference', NS_BOOKMARKS2)) return null;
  const room = roomOf(itemId);
  if (!room) return null;
  const ext = payload.getChild('extensions');
  const extensions = ext ? ext.toString() : null;
  return {
    room,
    name: text(payload.attrs.name as string | undefined, MAX_NAME),
    autojoin: bool(payload.attrs.autojoin),
    nick: nickOf(payload),
    password: text(payload.getChildText('password'), MAX_PASSWORD),
    extensions: extensions && extensions.length <= MAX_EXTENSIONS_CHARS ? extensions : null,
  };
}

/** Names and passwords come from our users or other clients: text XML cannot carry is left out rather than sent. */
function safe(s: string | null): string | null {
  return s && isXmlText(s) ? s : null;
}

export function buildBookmark2Payload(b: Bookmark): Element {
  const attrs: Record<string, string> = { xmlns: NS_BOOKMARKS2, autojoin: b.autojoin ? 'true' : 'false' };
  const name = safe(b.name);
  if (name) attrs.name = name;
  const children: Element[] = [];
  if (b.nick && validNick(b.nick)) children.push(xml('nick', {}, b.nick));
  const password = safe(b.password);
  if (password) children.push(xml('password', {}, password));
  if (b.extensions) {
    try {
      children.push(parse(b.extensions) as unknown as Element);
    } catch {
      // Stored extensions that no longer parse are dropped rather than sent broken.
    }
  }
  return xml('conference', attrs, ...children);
}

/** XEP-0402 §3.2: publish with these options so only we can read the node and it keeps every item. */
export const BOOKMARKS2_PUBLISH_OPTIONS: Record<string, string> = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};

export function buildBookmark2Publish(b: Bookmark): Element {
  return buildPublish(NS_BOOKMARKS2, b.room, buildBookmark2Payload(b), BOOKMARKS2_PUBLISH_OPTIONS);
}

export function buildBookmark2Retract(room: string): Element {
  return buildRetract(NS_BOOKMARKS2, room);
}

export function buildBookmarks2Get(ownBare: string): Element {
  return buildItemsGet(ownBare, NS_BOOKMARKS2);
}

/** Reads many items (a fetch result or a PEP event), dropping bad ones and duplicates, at most MAX_BOOKMARKS. */
export function parseBookmarks2(items: { id: string | null; payload: Element | null }[]): Bookmark[] {
  const out = new Map<string, Bookmark>();
  for (const it of items) {
    if (out.size >= MAX_BOOKMARKS) break;
    const b = parseBookmark2(it.id, it.payload);
    if (b) out.set(b.room, b);
  }
  return [...out.values()];
}

/** A PEP event's retractions on the bookmarks node: rooms another client removed. */
export function parseBookmarks2Retractions(message: Element): string[] {
  const items = message.getChild('event', 'http://jabber.org/protocol/pubsub#event')?.getChild('items');
  if (!items || items.attrs.node !== NS_BOOKMARKS2) return [];
  return items.getChildren('retract').slice(0, MAX_BOOKMARKS).flatMap((r) => {
    const room = roomOf(r.attrs.id);
    return room ? [room] : [];
  });
}

// XEP-0048 (storage:bookmarks in private XML storage)

export function buildPrivateBookmarksGet(): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS_PRIVATE }, xml('storage', { xmlns: NS_STORAGE_BOOKMARKS })));
}

/** The whole list, as XEP-0048 stores it: one set replaces every bookmark (URL bookmarks of others are kept as given). */
export function buildPrivateBookmarksSet(bookmarks: Bookmark[], keep: Element[] = []): Element {
  const conferences = bookmarks.map((b) => {
    const attrs: Record<string, string> = { jid: b.room, autojoin: b.autojoin ? 'true' : 'false' };
    const name = safe(b.name);
    const password = safe(b.password);
    if (name) attrs.name = name;
    return xml('conference', attrs, ...(b.nick && validNick(b.nick) ? [xml('nick', {}, b.nick)] : []), ...(password ? [xml('password', {}, password)] : []));
  });
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS_PRIVATE }, xml('storage', { xmlns: NS_STORAGE_BOOKMARKS }, ...keep, ...conferences)));
}

/** Reads a private-XML result (the iq, the query or the storage element). `others`: non-conference children (<url/>) to keep. */
export function parsePrivateBookmarks(el: Element): { bookmarks: Bookmark[]; others: Element[] } | null {
  const storage = el.is('storage', NS_STORAGE_BOOKMARKS)
    ? el
    : (el.is('query', NS_PRIVATE) ? el : el.getChild('query', NS_PRIVATE))?.getChild('storage', NS_STORAGE_BOOKMARKS);
  if (!storage) return null;
  const out = new Map<string, Bookmark>();
  const others: Element[] = [];
  for (const c of storage.getChildElements().slice(0, MAX_BOOKMARKS * 2)) {
    if (c.name !== 'conference') {
      if (c.name === 'url' && others.length < MAX_BOOKMARKS) others.push(c);
      continue;
    }
    if (out.size >= MAX_BOOKMARKS) continue;
    const room = roomOf(c.attrs.jid);
    // A room listed twice: the first entry wins (a later copy without nick or password must not erase them).
    if (!room || out.has(room)) continue;
    out.set(room, {
      room,
      name: text(c.attrs.name as string | undefined, MAX_NAME),
      autojoin: bool(c.attrs.autojoin),
      nick: nickOf(c),
      password: text(c.getChildText('password'), MAX_PASSWORD),
      extensions: null,
    });
  }
  return { bookmarks: [...out.values()], others };
}
