/**
 * Message search as the tab shows it: the server's hits (plaintext messages, paged) merged with this browser's
 * hits among decrypted OMEMO messages (IndexedDB, see PlaintextCache.search) into one list, newest first, unique
 * by message id. A newer query makes the answers of older ones void. Also where a chosen hit is remembered until
 * the conversation has scrolled to it (`focus`).
 */
import { signal } from '@preact/signals-core';
import type { Commands, CommandResults, SearchHitDTO } from '../../server/realtime/contract.js';
import { searchTerms, snippet, type Snippet } from '../../server/realtime/contract/search-text.js';
import { Observable } from './observable.js';

export interface SearchHit {
  id: string;
  peer: string;
  direction: 'in' | 'out';
  stamp: string;
  snippet: Snippet;
  /** Found among this browser's decrypted OMEMO messages. */
  encrypted: boolean;
}

/** A decrypted message of this browser (what PlaintextCache.search returns). */
export interface LocalPlaintext {
  id: string;
  peer: string;
  direction: 'in' | 'out';
  stamp: string;
  text: string;
}

type ServerSearch = (payload: Commands['search']) => Promise<CommandResults['search']>;
type LocalSearch = (terms: string[], peer: string | undefined) => Promise<LocalPlaintext[]>;

/** The message a chosen hit opens the conversation at: scrolled to and highlighted. */
export const focus = signal<{ peer: string; id: string } | null>(null);

export class SearchModel extends Observable {
  query = '';
  /** Only this conversation (undefined: all of the account's). */
  peer: string | undefined = undefined;
  hits: SearchHit[] = [];
  hasMore = false;
  loading = false;
  error: string | null = null;
  private generation = 0;
  private cursor: { stamp: string; id: string } | undefined;

  constructor(
    private readonly server: ServerSearch,
    private readonly local: () => LocalSearch | null,
  ) {
    super();
  }

  /** Starts a new search (an empty query clears the results). */
  async search(query: string, peer?: string): Promise<void> {
    const gen = ++this.generation;
    this.query = query;
    this.peer = peer;
    this.hits = [];
    this.hasMore = false;
    this.cursor = undefined;
    this.error = null;
    const terms = searchTerms(query);
    if (terms.length === 0) {
      this.loading = false;
      this.notify();
      return;
    }
    this.loading = true;
    this.notify();
    const localSearch = this.local();
    const [serverPage, localHits] = await Promise.all([
      this.server(peer === undefined ? { query } : { query, peer }).catch((err: Error) => {
        if (gen === this.generation) this.error = err.message;
        return { hits: [], hasMore: false };
      }),
      localSearch ? localSearch(terms, peer).catch(() => []) : Promise.resolve([]),
    ]);
    if (gen !== this.generation) return;
    this.accept(serverPage);
    this.hits = mergeHits(this.hits, localHits.map((p) => localHit(p, terms)));
    this.loading = false;
    this.notify();
  }

  /** The next page of the server's hits. */
  async more(): Promise<void> {
    if (!this.hasMore || this.loading || !this.cursor) return;
    const gen = this.generation;
    this.loading = true;
    this.notify();
    try {
      const page = await this.server(this.peer === undefined ? { query: this.query, before: this.cursor } : { query: this.query, peer: this.peer, before: this.cursor });
      if (gen !== this.generation) return;
      this.accept(page);
    } catch (err) {
      if (gen === this.generation) this.error = (err as Error).message;
    } finally {
      if (gen === this.generation) {
        this.loading = false;
        this.notify();
      }
    }
  }

  private accept(page: { hits: SearchHitDTO[]; hasMore: boolean }): void {
    this.hits = mergeHits(this.hits, page.hits.map(serverHit));
    this.hasMore = page.hasMore;
    const last = page.hits.at(-1)?.message;
    if (last) this.cursor = { stamp: last.stamp, id: last.id };
  }
}

function serverHit(h: SearchHitDTO): SearchHit {
  return { id: h.message.id, peer: h.message.peer, direction: h.message.direction, stamp: h.message.stamp, snippet: h.snippet, encrypted: false };
}

function localHit(p: LocalPlaintext, terms: string[]): SearchHit {
  return { id: p.id, peer: p.peer, direction: p.direction, stamp: p.stamp, snippet: snippet(p.text, terms), encrypted: true };
}

/** Newest first by (stamp, id), one hit per message id (the first one kept). */
export function mergeHits(a: readonly SearchHit[], b: readonly SearchHit[]): SearchHit[] {
  const seen = new Set<string>();
  const out: SearchHit[] = [];
  for (const h of [...a, ...b]) {
    if (seen.has(h.id)) continue;
    seen.add(h.id);
    out.push(h);
  }
  return out.sort((x, y) => (x.stamp < y.stamp ? 1 : x.stamp > y.stamp ? -1 : idCompare(y.id, x.id)));
}

function idCompare(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
