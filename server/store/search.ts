/**
 * Search over the account's PLAINTEXT messages (encrypted rows are never searched: the server has no plaintext,
 * only the fallback body) and the "around" page that opens a conversation at a hit.
 *
 * A message matches when its body contains every term (ILIKE '%term%', see contract/search-text.ts). The
 * trigram GIN index (Message_search_idx, pg_trgm) finds rare terms; common terms are found faster by walking the
 * (accountId, stamp DESC, id DESC) index newest first and filtering, which the planner picks when it expects many
 * matches. Newest first, keyset-paged on (stamp, id) like history.
 */
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';
import type { Cursor, MessageRow } from './messages.js';

export interface SearchQuery {
  accountId: string;
  /** From searchTerms(): lower-case, distinct, at least one. */
  terms: readonly string[];
  /** Only this conversation. */
  peer?: string;
  /** Strictly older than this hit (the last one of the previous page). */
  before?: Cursor;
  limit: number;
}

const MAX_LIMIT = 100;

/** `%term%` for ILIKE with the pattern characters of the term escaped (a user's "50%" is text, not a wildcard). */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The SQL of a search page: exported for the unit tests (parameters, never text pasted into SQL). */
export function buildSearchSql(q: SearchQuery): { text: string; values: unknown[] } {
  if (q.terms.length === 0) throw new RangeError('a search needs at least one term');
  const values: unknown[] = [q.accountId];
  const where = [`"accountId" = $1`, `encrypted IS NULL`, `body IS NOT NULL`];
  if (q.peer !== undefined) {
    values.push(q.peer);
    where.push(`peer = $${values.length}`);
  }
  for (const term of q.terms) {
    values.push(likePattern(term));
    where.push(`body ILIKE $${values.length}`);
  }
  if (q.before) {
    if (!(q.before.stamp instanceof Date) || Number.isNaN(q.before.stamp.getTime()) || toBigInt(q.before.id) === null) {
      throw new RangeError('invalid search cursor');
    }
    values.push(q.before.stamp, q.before.id);
    where.push(`(stamp, id) < ($${values.length - 1}::timestamptz, $${values.length}::bigint)`);
  }
  values.push(Math.max(1, Math.min(MAX_LIMIT, Math.floor(q.limit))) + 1);
  return {
    text: `SELECT * FROM "Message" WHERE ${where.join(' AND ')} ORDER BY stamp DESC, id DESC LIMIT $${values.length}`,
    values,
  };
}

export class SearchStore {
  constructor(private readonly db: Database) {}

  /** One page of hits, newest first; `hasMore` when another page follows. */
  async search(q: SearchQuery): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
    if (toBigInt(q.accountId) === null || q.terms.length === 0) return { rows: [], hasMore: false };
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(q.limit)));
    const { text, values } = buildSearchSql({ ...q, limit });
    const { rows } = await this.db.pool.query<MessageRow>(text, values);
    return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  /**
   * The page of a conversation around one message: the message, up to `half` older and up to `half` newer ones,
   * oldest first, plus whether more exist on either side. Null when the message is not the account's or not in
   * that conversation. Two keyset scans of the (accountId, peer, stamp, id) index.
   */
  async around(accountId: string, peer: string, id: string, half: number): Promise<AroundPage | null> {
    if (toBigInt(accountId) === null || toBigInt(id) === null) return null;
    const n = Math.max(1, Math.min(MAX_LIMIT, Math.floor(half)));
    const { rows: hit } = await this.db.pool.query<MessageRow>(`SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND id = $3`, [accountId, peer, id]);
    const target = hit[0];
    if (!target) return null;
    const [older, newer] = await Promise.all([
      this.db.pool.query<MessageRow>(
        `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND (stamp, id) < ($3::timestamptz, $4::bigint)
         ORDER BY stamp DESC, id DESC LIMIT $5`,
        [accountId, peer, target.stamp, target.id, n + 1],
      ),
      this.db.pool.query<MessageRow>(
        `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND (stamp, id) > ($3::timestamptz, $4::bigint)
         ORDER BY stamp, id LIMIT $5`,
        [accountId, peer, target.stamp, target.id, n + 1],
      ),
    ]);
    return {
      rows: [...older.rows.slice(0, n).reverse(), target, ...newer.rows.slice(0, n)],
      hasOlder: older.rows.length > n,
      hasNewer: newer.rows.length > n,
    };
  }

  /**
   * Newest first, `limit` messages of a conversation strictly newer than `after`, oldest first (paging back down
   * from an "around" page to the present).
   */
  async newer(accountId: string, peer: string, after: Cursor, limit: number): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
    if (toBigInt(accountId) === null || toBigInt(after.id) === null || Number.isNaN(after.stamp.getTime())) return { rows: [], hasMore: false };
    const n = Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND (stamp, id) > ($3::timestamptz, $4::bigint)
       ORDER BY stamp, id LIMIT $5`,
      [accountId, peer, after.stamp, after.id, n + 1],
    );
    return { rows: rows.slice(0, n), hasMore: rows.length > n };
  }
}

export interface AroundPage {
  /** Oldest first. */
  rows: MessageRow[];
  hasOlder: boolean;
  hasNewer: boolean;
}
