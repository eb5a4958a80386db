/**
 * Room bookmarks of the account (XEP-0402 in PEP, or XEP-0048 private storage where the server lacks it), kept in
 * step with the account's other clients: on each session the list is fetched and autojoin rooms are joined; PEP
 * notifications from our own account join rooms bookmarked elsewhere and leave rooms whose bookmark went away; a
 * room joined here is bookmarked for the others. Other clients' `<extensions>` are written back untouched.
 */
import type { Element } from '@xmpp/xml';
import type { RoomBookmarksPort, RoomRegistryPort } from './ports.js';
import type { RoomsAdminContext } from './context.js';
import {
  BOOKMARKS2_PUBLISH_OPTIONS, NS_BOOKMARKS2, NS_BOOKMARKS2_COMPAT, buildBookmark2Payload, buildBookmark2Retract, buildBookmarks2Get,
  buildPrivateBookmarksGet, buildPrivateBookmarksSet, parseBookmarks2, parseBookmarks2Retractions, parsePrivateBookmarks, MAX_BOOKMARKS, type Bookmark,
} from '../../stanza/bookmarks.js';
import { parseItems } from '../../stanza/pubsub.js';
import { buildDiscoInfoGet, parseDiscoInfo } from '../../stanza/muc.js';
import { newPublishMemory, publishWithOptions } from '../pep-publish.js';
import { XmppStanzaError } from '../../xmpp/errors.js';
import { Serial } from '../serial.js';

export type BookmarkStorage = 'pep' | 'private';

const PUBLISH_OPTIONS_FEATURE = 'http://jabber.org/protocol/pubsub#publish-options';

/** XEP-0402 §5.3: the server says it keeps both kinds in step (#compat), or it has PEP with publish-options. */
export function storageOf(features: readonly string[], identities: readonly { category: string; type: string }[]): BookmarkStorage {
  if (features.includes(NS_BOOKMARKS2_COMPAT)) return 'pep';
  const pep = identities.some((i) => i.category === 'pubsub' && i.type === 'pep');
  return pep && features.includes(PUBLISH_OPTIONS_FEATURE) ? 'pep' : 'private';
}

/** What a save asks for, merged into what is stored: other clients' extensions (and a password we were not told) stay. */
export function mergeBookmark(previous: Bookmark | undefined, b: { room: string; name: string | null; nick: string; password: string | null; autojoin: boolean }): Bookmark {
  return {
    room: b.room,
    name: b.name ?? previous?.name ?? null,
    autojoin: b.autojoin,
    nick: b.nick,
    password: b.password ?? previous?.password ?? null,
    extensions: previous?.extensions ?? null,
  };
}

function same(a: Bookmark | undefined, b: Bookmark): boolean {
  return !!a && a.name === b.name && a.autojoin === b.autojoin && a.nick === b.nick && a.password === b.password && a.extensions === b.extensions;
}

export class RoomBookmarks implements RoomBookmarksPort {
  private storage: BookmarkStorage | null = null;
  private readonly known = new Map<string, Bookmark>();
  /** XEP-0048: the non-conference entries (<url/>) of other clients, written back with every set. */
  private privateOthers: Element[] = [];
  private readonly publishMemory = newPublishMemory();
  /** Private storage is one document: its read-modify-write runs one at a time. */
  private readonly privateWrites = new Serial();

  constructor(
    private readonly ctx: RoomsAdminContext,
    private readonly registry: RoomRegistryPort,
  ) {}

  /** Where this account keeps bookmarks (known after `start`). */
  get kind(): BookmarkStorage | null {
    return this.storage;
  }

  list(): Bookmark[] {
    return [...this.known.values()];
  }

  get(room: string): Bookmark | undefined {
    return this.known.get(room);
  }

  /** A fresh XMPP session: fetch, join the autojoin rooms, tell the registry of every bookmark. */
  async start(): Promise<void> {
    this.storage = await this.detect();
    const list = await this.fetch();
    const before = new Set(this.known.keys());
    this.known.clear();
    for (const b of list) this.known.set(b.room, b);
    for (const b of list) if (b.autojoin) this.join(b);
    for (const b of list) this.registry.setBookmark(b.room, { bookmarked: true, autojoin: b.autojoin, name: b.name });
    // Removed by another client while this session was down (no notification reached us): as a retraction.
    for (const room of before) if (!this.known.has(room)) this.unbookmarked(room);
  }

  private unbookmarked(room: string): void {
    const view = this.registry.get(room);
    if (view && view.state !== 'left') void this.leave(room);
    this.registry.setBookmark(room, { bookmarked: false, autojoin: false, name: null });
  }

  private async detect(): Promise<BookmarkStorage> {
    try {
      const info = parseDiscoInfo(await this.ctx.conn.iq(buildDiscoInfoGet(this.ctx.jid)));
      return info ? storageOf(info.features, info.identities) : 'private';
    } catch (err) {
      this.ctx.log.warn({ err }, 'account disco#info failed: bookmarks in private storage');
      return 'private';
    }
  }

  private async fetch(): Promise<Bookmark[]> {
    if (this.storage === 'pep') {
      try {
        return parseBookmarks2(parseItems(await this.ctx.conn.iq(buildBookmarks2Get(this.ctx.jid))));
      } catch (err) {
        if (err instanceof XmppStanzaError && err.condition === 'item-not-found') return [];
        throw err;
      }
    }
    const parsed = parsePrivateBookmarks(await this.ctx.conn.iq(buildPrivateBookmarksGet()));
    this.privateOthers = parsed?.others ?? [];
    return parsed?.bookmarks ?? [];
  }

  private join(b: Bookmark): void {
    this.registry
      .join(b.room, { ...(b.nick ? { nick: b.nick } : {}), ...(b.password ? { password: b.password } : {}), quiet: true })
      .catch((err: unknown) => this.ctx.log.info({ err, room: b.room }, 'autojoin of a bookmarked room failed'));
  }

  /**
   * A PEP notification on the bookmarks node. Only our own account's are believed: anyone else publishing to a node
   * of that name says nothing about our rooms.
   */
  onEvent(from: string, event: { node: string; items: { id: string | null; payload: Element | null }[] }, message: Element): void {
    if (event.node !== NS_BOOKMARKS2 || from !== this.ctx.jid) return;
    for (const b of parseBookmarks2(event.items)) {
      if (!this.known.has(b.room) && this.known.size >= MAX_BOOKMARKS) break;
      const before = this.known.get(b.room);
      this.known.set(b.room, b);
      const view = this.registry.get(b.room);
      const inRoom = view !== undefined && view.state !== 'left';
      if (b.autojoin && !inRoom) this.join(b);
      // Another client unticked autojoin (Conversations does so when one leaves a room): leave, keep the bookmark.
      else if (!b.autojoin && before?.autojoin && inRoom) void this.leave(b.room);
      this.registry.setBookmark(b.room, { bookmarked: true, autojoin: b.autojoin, name: b.name });
    }
    for (const room of parseBookmarks2Retractions(message)) {
      this.known.delete(room);
      this.unbookmarked(room);
    }
  }

  private async leave(room: string): Promise<void> {
    await this.registry.leave(room, false).catch((err: unknown) => this.ctx.log.info({ err, room }, 'leaving a room unbookmarked elsewhere failed'));
  }

  async save(b: { room: string; name: string | null; nick: string; password: string | null; autojoin: boolean }): Promise<void> {
    const previous = this.known.get(b.room);
    const next = mergeBookmark(previous, b);
    if (same(previous, next)) return;
    if (this.storage === 'private') {
      await this.privateWrites.run(async () => {
        await this.refreshPrivate();
        this.known.set(next.room, mergeBookmark(this.known.get(next.room), b));
        await this.writePrivate();
      });
    } else {
      await publishWithOptions((r) => this.ctx.conn.iq(r), NS_BOOKMARKS2, next.room, buildBookmark2Payload(next), BOOKMARKS2_PUBLISH_OPTIONS, this.publishMemory);
      this.known.set(next.room, next);
    }
    this.registry.setBookmark(next.room, { bookmarked: true, autojoin: next.autojoin, name: next.name });
  }

  async remove(room: string): Promise<void> {
    if (this.storage === 'private') {
      await this.privateWrites.run(async () => {
        await this.refreshPrivate();
        if (!this.known.delete(room)) return;
        await this.writePrivate();
      });
    } else {
      try {
        await this.ctx.conn.iq(buildBookmark2Retract(room));
      } catch (err) {
        if (!(err instanceof XmppStanzaError && err.condition === 'item-not-found')) throw err;
      }
      this.known.delete(room);
    }
    this.registry.setBookmark(room, { bookmarked: false, autojoin: false, name: null });
  }

  /** XEP-0048 has no notifications: read the document again before changing it, so another client's change survives. */
  private async refreshPrivate(): Promise<void> {
    const list = await this.fetch();
    this.known.clear();
    for (const b of list) this.known.set(b.room, b);
  }

  private async writePrivate(): Promise<void> {
    await this.ctx.conn.iq(buildPrivateBookmarksSet([...this.known.values()], this.privateOthers));
  }
}
