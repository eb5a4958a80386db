/**
 * Loads a conversation's history pages through the `history` command and remembers, per conversation, whether a
 * page is on its way and why the last one failed. Views ask it; they never page by themselves.
 */
import type { Commands, CommandResults } from '../../server/realtime/contract.js';
import type { MessagesStore } from './messages.js';
import { Observable } from './observable.js';

export const PAGE = 50;

type History = (payload: Commands['history']) => Promise<CommandResults['history']>;
/** The search part of paging: around a message, and newer from there (optional: tests of plain paging leave it out). */
export interface AroundPaging {
  around(payload: Commands['historyAround']): Promise<CommandResults['historyAround']>;
  newer(payload: Commands['historyNewer']): Promise<CommandResults['historyNewer']>;
}

export class HistoryLoader extends Observable {
  private readonly loading = new Set<string>();
  private readonly errors = new Map<string, string>();

  constructor(
    private readonly messages: MessagesStore,
    private readonly history: History,
    private readonly connected: () => boolean,
    private readonly paging?: AroundPaging,
  ) {
    super();
  }

  isLoading(peer: string): boolean {
    return this.loading.has(peer);
  }

  error(peer: string): string | null {
    return this.errors.get(peer) ?? null;
  }

  /** The newest page: on opening a conversation, and after a reconnect (it closes a gap, see MessagesStore). */
  loadLatest(peer: string): void {
    this.load(peer, () => this.history({ peer, limit: PAGE }).then((p) => this.messages.addLatestPage(peer, p.messages, p.hasMore)));
  }

  /** The page before the oldest loaded message (or the newest, if none is loaded yet). */
  loadOlder(peer: string): void {
    const conv = this.messages.get(peer);
    if (!conv.loaded) return this.loadLatest(peer);
    if (!conv.hasMore) return;
    const before = this.messages.oldest(peer);
    this.load(peer, () => this.history({ peer, before, limit: PAGE }).then((p) => this.messages.addOlderPage(peer, p.messages, p.hasMore)));
  }

  /**
   * Opens a conversation around one message (a search hit), replacing what was loaded; paging older and newer goes
   * on from there. Runs even while another page is on its way: the reader asked for this one.
   */
  loadAround(peer: string, id: string): void {
    const paging = this.paging;
    if (!paging) return;
    this.loading.delete(peer);
    this.load(peer, () => paging.around({ peer, id }).then((p) => this.messages.setAroundPage(peer, p.messages, p.hasOlder, p.hasNewer)));
  }

  /** The page after the newest loaded message, when the conversation was opened around an older one. */
  loadNewer(peer: string): void {
    const paging = this.paging;
    const conv = this.messages.get(peer);
    const newest = this.messages.newest(peer);
    if (!paging || !conv.hasNewer || !newest) return;
    const after = { stamp: newest.stamp, id: newest.id };
    this.load(peer, () => paging.newer({ peer, after, limit: PAGE }).then((p) => this.messages.addNewerPage(peer, p.messages, p.hasMore)));
  }

  /** Loads the newest page unless one is loaded already. */
  ensureLoaded(peer: string): void {
    if (!this.messages.get(peer).loaded) this.loadLatest(peer);
  }

  /** After a failure: the same kind of page again. */
  retry(peer: string): void {
    if (this.messages.get(peer).loaded) this.loadOlder(peer);
    else this.loadLatest(peer);
  }

  private load(peer: string, request: () => Promise<void>): void {
    if (this.loading.has(peer) || !this.connected()) return;
    this.loading.add(peer);
    this.errors.delete(peer);
    this.notify();
    request()
      .catch((err: Error) => this.errors.set(peer, err.message))
      .finally(() => {
        this.loading.delete(peer);
        this.notify();
      });
  }
}
