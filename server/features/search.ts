/**
 * Search (plaintext messages only: encrypted ones are searched by the tabs, which hold their plaintext), the
 * "around" page a hit opens, paging newer from there, and per-conversation mutes shared by every tab of the account.
 */
import type { SessionContext } from './context.js';
import { toMessageDTO } from './messages.js';
import type { SearchHitDTO } from '../realtime/contract/search.js';
import type { MessageDTO } from '../realtime/contract.js';
import { searchTerms, snippet } from '../realtime/contract/search-text.js';

export class Search {
  constructor(private readonly ctx: SessionContext) {}

  async search(q: { query: string; peer?: string; before?: { stamp: string; id: string }; limit: number }): Promise<{ hits: SearchHitDTO[]; hasMore: boolean }> {
    const terms = searchTerms(q.query);
    if (terms.length === 0) return { hits: [], hasMore: false };
    const before = q.before ? { stamp: new Date(q.before.stamp), id: q.before.id } : undefined;
    const page = await this.ctx.stores.search.search({ accountId: this.ctx.accountId, terms, peer: q.peer, before, limit: q.limit });
    return {
      hits: page.rows.map((row) => ({ message: toMessageDTO(row), snippet: snippet(row.body ?? '', terms) })),
      hasMore: page.hasMore,
    };
  }

  async around(peer: string, id: string, half: number): Promise<{ messages: MessageDTO[]; hasOlder: boolean; hasNewer: boolean }> {
    const page = await this.ctx.stores.search.around(this.ctx.accountId, peer, id, half);
    if (!page) return { messages: [], hasOlder: false, hasNewer: false };
    return { messages: page.rows.map(toMessageDTO), hasOlder: page.hasOlder, hasNewer: page.hasNewer };
  }

  async newer(peer: string, after: { stamp: string; id: string }, limit: number): Promise<{ messages: MessageDTO[]; hasMore: boolean }> {
    const page = await this.ctx.stores.search.newer(this.ctx.accountId, peer, { stamp: new Date(after.stamp), id: after.id }, limit);
    return { messages: page.rows.map(toMessageDTO), hasMore: page.hasMore };
  }

  mutes(): Promise<string[]> {
    return this.ctx.stores.mutes.list(this.ctx.accountId);
  }

  /** Every tab gets the new list, so a mute set in one tab stops notifications in all of them. */
  async setMuted(peer: string, muted: boolean): Promise<void> {
    await this.ctx.stores.mutes.set(this.ctx.accountId, peer, muted);
    this.ctx.emit('mutes', { peers: await this.mutes() });
  }
}
