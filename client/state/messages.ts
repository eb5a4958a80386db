/**
 * Messages per conversation, always ordered by (stamp, id) and unique by id: an updated message (new
 * state, stanzaId) replaces the stored one in place. Also tracks the paging cursor for older history.
 * A message's state only moves forward (see `merge`): events and command answers can arrive in any order.
 */
import type { MessageDTO } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';
import { compareMessages } from './order.js';
import { merge } from './progress.js';

export interface Conversation {
  /** Ordered oldest first. */
  readonly messages: readonly MessageDTO[];
  /** The server may hold older messages than the oldest loaded one. */
  readonly hasMore: boolean;
  /** At least one history page was loaded: `hasMore` is known. */
  readonly loaded: boolean;
  /** Opened around a message (a search hit): newer messages than the newest loaded one exist on the server. */
  readonly hasNewer: boolean;
}

interface Thread {
  messages: MessageDTO[];
  /** What `get` hands out until the next change. */
  view?: Conversation | undefined;
  ids: Set<string>;
  hasMore: boolean;
  loaded: boolean;
  hasNewer: boolean;
}

const EMPTY: Conversation = { messages: [], hasMore: true, loaded: false, hasNewer: false };

export class MessagesStore extends Observable {
  private readonly threads = new Map<string, Thread>();
  /** The peer whose conversation changed last, for views that only care about one. */
  lastChanged: string | null = null;

  /**
   * The conversation as views see it: a new object (and a new `messages` array) after every change, the same one
   * otherwise, so a view can tell a change by identity. The copy is made on the first read after a change: a burst of
   * messages costs one copy per render, not one per message.
   */
  get(peer: string): Conversation {
    const thread = this.threads.get(peer);
    if (!thread) return EMPTY;
    return (thread.view ??= { messages: thread.messages.slice(), hasMore: thread.hasMore, loaded: thread.loaded, hasNewer: thread.hasNewer });
  }

  /** The cursor for the next older page: the oldest loaded message. */
  oldest(peer: string): { stamp: string; id: string } | undefined {
    const first = this.threads.get(peer)?.messages[0];
    return first ? { stamp: first.stamp, id: first.id } : undefined;
  }

  newest(peer: string): MessageDTO | undefined {
    return this.threads.get(peer)?.messages.at(-1);
  }

  /**
   * A live message (event or send acknowledgement): new, or a newer version of a stored one. While the conversation
   * shows an older stretch (opened around a search hit), a message newer than that stretch waits for the newer pages:
   * appending it would hide the gap in between.
   */
  upsert(message: MessageDTO): void {
    const thread = this.thread(message.peer);
    const newest = thread.messages.at(-1);
    if (thread.hasNewer && !thread.ids.has(message.id) && newest && compareMessages(newest, message) < 0) return;
    this.insert(thread, message);
    this.changed(message.peer);
  }

  /** The oldest-first page around a message (`historyAround`): replaces what was loaded. */
  setAroundPage(peer: string, messages: MessageDTO[], hasOlder: boolean, hasNewer: boolean): void {
    const thread = this.thread(peer);
    thread.messages = [];
    thread.ids.clear();
    for (const m of [...messages].sort(compareMessages)) this.insert(thread, m);
    thread.hasMore = hasOlder;
    thread.hasNewer = hasNewer && messages.length > 0;
    thread.loaded = true;
    this.changed(peer);
  }

  /** A page from `historyNewer`: merged above what is loaded; the end of it reaches the present when !hasMore. */
  addNewerPage(peer: string, messages: MessageDTO[], hasMore: boolean): void {
    const thread = this.thread(peer);
    for (const m of messages) this.insert(thread, m);
    thread.hasNewer = hasMore && messages.length > 0;
    this.changed(peer);
  }

  /** An older page from `history` with `before`: merged below what is loaded. */
  addOlderPage(peer: string, messages: MessageDTO[], hasMore: boolean): void {
    const thread = this.thread(peer);
    for (const m of messages) this.insert(thread, m);
    // An empty page cannot move the cursor: asking again would loop forever.
    thread.hasMore = hasMore && messages.length > 0;
    thread.loaded = true;
    this.changed(peer);
  }

  /**
   * The newest page from `history` without `before` (on opening, or after a reconnect). If it does not
   * reach back to what is loaded, messages were missed in between: the loaded ones are dropped so the
   * list never shows a silent gap, and paging continues from the new page.
   */
  addLatestPage(peer: string, messages: MessageDTO[], hasMore: boolean): void {
    const thread = this.thread(peer);
    const sorted = [...messages].sort(compareMessages);
    const pageOldest = sorted[0];
    const loadedNewest = thread.messages.at(-1);
    const gap = hasMore && pageOldest !== undefined && loadedNewest !== undefined && compareMessages(pageOldest, loadedNewest) > 0;
    if (gap || !thread.loaded) {
      thread.hasMore = hasMore;
    }
    if (gap) {
      thread.messages = [];
      thread.ids.clear();
    }
    for (const m of sorted) this.insert(thread, m);
    thread.loaded = true;
    // The newest page reaches the present (a gap below it was dropped above).
    thread.hasNewer = false;
    this.changed(peer);
  }

  /** Messages deleted for this account ("delete for me"): gone from the list. */
  remove(peer: string, ids: readonly string[]): void {
    const thread = this.threads.get(peer);
    if (!thread) return;
    const gone = new Set(ids.filter((id) => thread.ids.has(id)));
    if (gone.size === 0) return;
    thread.messages = thread.messages.filter((m) => !gone.has(m.id));
    for (const id of gone) thread.ids.delete(id);
    this.changed(peer);
  }

  /** A room message removed by a moderator (XEP-0425): its text is gone, a tombstone stays. */
  moderate(peer: string, id: string, moderated: NonNullable<MessageDTO['moderated']>): void {
    const thread = this.threads.get(peer);
    const at = thread?.messages.findIndex((m) => m.id === id) ?? -1;
    if (!thread || at < 0) return;
    thread.messages[at] = { ...thread.messages[at]!, body: null, encrypted: null, moderated };
    this.changed(peer);
  }

  /** The whole conversation was deleted for this account: nothing older to load either. */
  clear(peer: string): void {
    this.threads.set(peer, { messages: [], ids: new Set(), hasMore: false, loaded: true, hasNewer: false });
    this.changed(peer);
  }

  /** Forgets every conversation but `keep` (after a reconnect: they reload when opened). */
  reset(keep: string | null = null): void {
    for (const peer of [...this.threads.keys()]) if (peer !== keep) this.threads.delete(peer);
    this.changed(keep);
  }

  private thread(peer: string): Thread {
    let thread = this.threads.get(peer);
    if (!thread) {
      thread = { messages: [], ids: new Set(), hasMore: true, loaded: false, hasNewer: false };
      this.threads.set(peer, thread);
    }
    return thread;
  }

  private insert(thread: Thread, incoming: MessageDTO): void {
    const list = thread.messages;
    let message = incoming;
    if (thread.ids.has(message.id)) {
      const at = list.findIndex((m) => m.id === message.id);
      message = merge(list[at]!, incoming);
      if (message === list[at]) return;
      const before = list[at - 1];
      const after = list[at + 1];
      const stillInPlace = (!before || compareMessages(before, message) < 0) && (!after || compareMessages(message, after) < 0);
      if (stillInPlace) {
        list[at] = message;
        return;
      }
      list.splice(at, 1);
    }
    thread.ids.add(message.id);
    // Live messages almost always go last: check that before searching.
    const last = list.at(-1);
    if (!last || compareMessages(last, message) < 0) {
      list.push(message);
      return;
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareMessages(list[mid]!, message) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, message);
  }

  private changed(peer: string | null): void {
    if (peer !== null) {
      const thread = this.threads.get(peer);
      if (thread) thread.view = undefined;
    } else {
      for (const thread of this.threads.values()) thread.view = undefined;
    }
    this.lastChanged = peer;
    this.notify();
  }
}
