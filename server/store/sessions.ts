/**
 * express-session store in PostgreSQL. Rows are keyed by SHA-256(sid): whoever reads the table (a backup, a
 * leak) gets no cookie that works. The session's `accountId` is copied into its own column so that logging out
 * ends every browser session of the account at once.
 */
import { createHash } from 'node:crypto';
import session from 'express-session';
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';

type Callback<T = void> = (err?: unknown, value?: T) => void;

export interface SessionStoreOptions {
  /** How often expired sessions are deleted (ms); 0 turns it off. Default 15 minutes. */
  pruneEveryMs?: number;
  /** Lifetime of a session whose cookie has no expiry (ms). Default 1 day. */
  defaultTtlMs?: number;
  log?: { warn(obj: object, msg?: string): void };
}

export function hashSid(sid: string): string {
  return createHash('sha256').update(sid, 'utf8').digest('hex');
}

export interface BrowserSessionRow {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  /** as the browser sent it at login (bounded), or null for sessions from before it was kept */
  userAgent: string | null;
}

export class PgSessionStore extends session.Store {
  private readonly pruneTimer: NodeJS.Timeout | null;
  private readonly defaultTtlMs: number;

  constructor(
    private readonly db: Database,
    private readonly opts: SessionStoreOptions = {},
  ) {
    super();
    this.defaultTtlMs = opts.defaultTtlMs ?? 24 * 3600_000;
    const every = opts.pruneEveryMs ?? 15 * 60_000;
    this.pruneTimer = every > 0 ? setInterval(() => void this.prune().catch((err: unknown) => this.opts.log?.warn({ err }, 'session prune failed')), every) : null;
    this.pruneTimer?.unref();
  }

  override get(sid: string, cb: Callback<session.SessionData | null>): void {
    this.db.pool
      .query<{ data: session.SessionData }>(`SELECT data FROM "BrowserSession" WHERE sid = $1 AND "expiresAt" > now()`, [hashSid(sid)])
      .then((r) => cb(null, r.rows[0]?.data ?? null), cb);
  }

  override set(sid: string, sess: session.SessionData, cb?: Callback): void {
    const accountId = accountIdOf(sess);
    // A session pointing at an account that does not exist (deleted meanwhile) is stored without the link.
    this.db.pool
      .query(
        `INSERT INTO "BrowserSession" (sid, "accountId", data, "expiresAt")
         VALUES ($1, (SELECT id FROM "Account" WHERE id = $2::bigint), $3::jsonb, $4)
         ON CONFLICT (sid) DO UPDATE SET "accountId" = EXCLUDED."accountId", data = EXCLUDED.data, "expiresAt" = EXCLUDED."expiresAt"`,
        [hashSid(sid), accountId, JSON.stringify(sess), this.expiryOf(sess)],
      )
      .then(() => cb?.(), (err: unknown) => cb?.(err));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.db.pool.query(`DELETE FROM "BrowserSession" WHERE sid = $1`, [hashSid(sid)]).then(() => cb?.(), (err: unknown) => cb?.(err));
  }

  /** `rolling` sessions: only the expiry moves. */
  override touch(sid: string, sess: session.SessionData, cb?: Callback): void {
    this.db.pool
      .query(`UPDATE "BrowserSession" SET "expiresAt" = $2, data = jsonb_set(data, '{cookie}', $3::jsonb) WHERE sid = $1`, [
        hashSid(sid),
        this.expiryOf(sess),
        JSON.stringify(sess.cookie ?? {}),
      ])
      .then(() => cb?.(), (err: unknown) => cb?.(err));
  }

  override length(cb: Callback<number>): void {
    this.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "BrowserSession" WHERE "expiresAt" > now()`).then((r) => cb(null, Number(r.rows[0]!.n)), cb);
  }

  override clear(cb?: Callback): void {
    this.db.pool.query(`DELETE FROM "BrowserSession"`).then(() => cb?.(), (err: unknown) => cb?.(err));
  }

  /** Logout everywhere: deletes every browser session of the account. Returns how many there were. */
  async destroyAllForAccount(accountId: string): Promise<number> {
    if (toBigInt(accountId) === null) return 0;
    const r = await this.db.pool.query(`DELETE FROM "BrowserSession" WHERE "accountId" = $1`, [accountId]);
    return r.rowCount ?? 0;
  }

  /**
   * The account's live browser sessions, oldest first. `id` is the row key (SHA-256 of the cookie's session id):
   * shown to the account's owner, it names a session without being a cookie that works.
   */
  async listForAccount(accountId: string): Promise<BrowserSessionRow[]> {
    if (toBigInt(accountId) === null) return [];
    const r = await this.db.pool.query<{ sid: string; createdAt: Date; expiresAt: Date; data: { userAgent?: unknown } }>(
      `SELECT sid, "createdAt", "expiresAt", data FROM "BrowserSession" WHERE "accountId" = $1 AND "expiresAt" > now() ORDER BY "createdAt", sid`,
      [accountId],
    );
    return r.rows.map((row) => ({
      id: row.sid,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      userAgent: typeof row.data?.userAgent === 'string' ? row.data.userAgent : null,
    }));
  }

  /** Deletes one browser session of this account (by row id, see listForAccount); another account's id matches nothing. */
  async destroyForAccount(accountId: string, id: string): Promise<boolean> {
    if (toBigInt(accountId) === null || !/^[0-9a-f]{64}$/.test(id)) return false;
    const r = await this.db.pool.query(`DELETE FROM "BrowserSession" WHERE "accountId" = $1 AND sid = $2`, [accountId, id]);
    return (r.rowCount ?? 0) > 0;
  }

  /** Deletes expired sessions; returns how many. Runs on a timer too (see pruneEveryMs). */
  async prune(): Promise<number> {
    const r = await this.db.pool.query(`DELETE FROM "BrowserSession" WHERE "expiresAt" <= now()`);
    return r.rowCount ?? 0;
  }

  /** Stops the prune timer (the database itself is closed by its owner). */
  close(): void {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
  }

  private expiryOf(sess: session.SessionData): Date {
    const expires = sess.cookie?.expires;
    const at = expires ? new Date(expires).getTime() : NaN;
    if (Number.isFinite(at)) return new Date(at);
    const maxAge = sess.cookie?.maxAge;
    return new Date(Date.now() + (typeof maxAge === 'number' && maxAge > 0 ? maxAge : this.defaultTtlMs));
  }
}

function accountIdOf(sess: session.SessionData): string | null {
  const v = (sess as { accountId?: unknown }).accountId;
  return typeof v === 'string' && toBigInt(v) !== null ? v : null;
}
