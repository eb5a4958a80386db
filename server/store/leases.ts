/**
 * Session leases: which Parley node owns each account's XMPP session (server/cluster/lease-keeper.ts decides when).
 * Every time comparison uses the database's clock (now()), so the nodes' own clocks never have to agree.
 */
import type { Database } from './db.js';

export type Claim = { ok: true; epoch: string } | { ok: false; reason: 'held'; node: string } | { ok: false; reason: 'capacity' };

export interface LeaseHolder {
  node: string;
  epoch: string;
  expiresAt: Date;
}

/** One lock key for "count the live leases, then add one": two nodes cannot both take the last free place. */
const CAPACITY_LOCK = 0x5e5510;

export class LeaseStore {
  constructor(private readonly db: Database) {}

  /**
   * Takes the lease of `jid` for `node` when it is free, expired or already ours, and while fewer than `maxLive` other
   * live leases exist. The epoch grows when the lease changes hands and stays when the owner takes it again.
   */
  async claim(jid: string, node: string, ttlMs: number, maxLive: number): Promise<Claim> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [CAPACITY_LOCK]);
      const { rows } = await client.query<{ epoch: string }>(
        `INSERT INTO "SessionLease" (jid, node, "expiresAt")
         SELECT $1, $2, now() + $3 * interval '1 millisecond'
         WHERE (SELECT count(*) FROM "SessionLease" WHERE "expiresAt" > now() AND jid <> $1) < $4
         ON CONFLICT (jid) DO UPDATE SET
           node = EXCLUDED.node,
           "expiresAt" = EXCLUDED."expiresAt",
           epoch = "SessionLease".epoch + CASE WHEN "SessionLease".node = EXCLUDED.node THEN 0 ELSE 1 END,
           "acquiredAt" = CASE WHEN "SessionLease".node = EXCLUDED.node THEN "SessionLease"."acquiredAt" ELSE now() END
         WHERE "SessionLease"."expiresAt" <= now() OR "SessionLease".node = EXCLUDED.node
         RETURNING epoch::text`,
        [jid, node, ttlMs, maxLive],
      );
      await client.query('COMMIT');
      if (rows[0]) return { ok: true, epoch: rows[0].epoch };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    const holder = await this.holder(jid);
    return holder && holder.node !== node ? { ok: false, reason: 'held', node: holder.node } : { ok: false, reason: 'capacity' };
  }

  /**
   * Renews, in one statement, every lease `node` still holds at the epoch it took it with, and records the node's
   * heartbeat. Returns the JIDs renewed: a held lease missing from it was lost (taken over after it expired). One that
   * expired while the database was away but that nobody claimed (same node, same epoch) is renewed.
   */
  async renew(node: string, held: { jid: string; epoch: string }[], ttlMs: number, redisOk: boolean | null): Promise<Set<string>> {
    const { rows } = await this.db.pool.query<{ jid: string }>(
      `WITH beat AS (
         INSERT INTO "ClusterNode" (node, "seenAt", "redisOk") VALUES ($1, now(), $5)
         ON CONFLICT (node) DO UPDATE SET "seenAt" = now(), "redisOk" = EXCLUDED."redisOk"
       )
       UPDATE "SessionLease" l SET "expiresAt" = now() + $4 * interval '1 millisecond'
       FROM unnest($2::text[], $3::bigint[]) AS h(jid, epoch)
       WHERE l.jid = h.jid AND l.epoch = h.epoch AND l.node = $1
       RETURNING l.jid`,
      [node, held.map((h) => h.jid), held.map((h) => h.epoch), ttlMs, redisOk],
    );
    return new Set(rows.map((r) => r.jid));
  }

  /**
   * Gives the lease up. `handOver`: it expires now, so another node's takeover loop restores the session at once (a
   * clean stop of this node); otherwise it is deleted (logout, idle: nobody should bring the session back).
   */
  async release(jid: string, node: string, handOver: boolean): Promise<void> {
    await this.db.pool.query(
      handOver
        ? `UPDATE "SessionLease" SET "expiresAt" = now() WHERE jid = $1 AND node = $2`
        : `DELETE FROM "SessionLease" WHERE jid = $1 AND node = $2`,
      [jid, node],
    );
  }

  /** The live holder of a lease, or null when it is free or expired. */
  async holder(jid: string): Promise<LeaseHolder | null> {
    const { rows } = await this.db.pool.query<{ node: string; epoch: string; expiresAt: Date }>(
      `SELECT node, epoch::text, "expiresAt" FROM "SessionLease" WHERE jid = $1 AND "expiresAt" > now()`,
      [jid],
    );
    return rows[0] ?? null;
  }

  /** Who holds or last held the lease, live or expired (null: no lease at all). */
  async nodeOf(jid: string): Promise<string | null> {
    const { rows } = await this.db.pool.query<{ node: string }>(`SELECT node FROM "SessionLease" WHERE jid = $1`, [jid]);
    return rows[0]?.node ?? null;
  }

  /** Live leases across every node: what PARLEY_MAX_SESSIONS counts. */
  async liveCount(): Promise<number> {
    const { rows } = await this.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "SessionLease" WHERE "expiresAt" > now()`);
    return Number(rows[0]!.n);
  }

  /** Accounts whose owner stopped renewing (its lease expired) and that another node can restore (sealed credentials). */
  async orphaned(limit: number): Promise<string[]> {
    const { rows } = await this.db.pool.query<{ id: string }>(
      `SELECT a.id::text FROM "SessionLease" l JOIN "Account" a ON a.jid = l.jid
       WHERE l."expiresAt" <= now() AND a.credential IS NOT NULL
       ORDER BY random() LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Expired leases of accounts nobody can restore (no sealed credentials; with the account, if it exists): their tabs
   * are sent to the login page and the lease dropped.
   */
  async orphanedWithoutCredentials(limit: number): Promise<{ jid: string; accountId: string | null }[]> {
    const { rows } = await this.db.pool.query<{ jid: string; accountId: string | null }>(
      `SELECT l.jid, a.id::text AS "accountId" FROM "SessionLease" l LEFT JOIN "Account" a ON a.jid = l.jid
       WHERE l."expiresAt" <= now() AND a.credential IS NULL
       ORDER BY random() LIMIT $1`,
      [limit],
    );
    return rows;
  }

  /** Nodes seen within `withinMs` (their heartbeat rides on the renewal), with whether each reached Redis. */
  async nodesAlive(withinMs: number): Promise<{ node: string; seenAt: Date; redisOk: boolean | null; leases: number }[]> {
    const { rows } = await this.db.pool.query<{ node: string; seenAt: Date; redisOk: boolean | null; leases: string }>(
      `SELECT n.node, n."seenAt", n."redisOk",
         (SELECT count(*) FROM "SessionLease" l WHERE l.node = n.node AND l."expiresAt" > now())::text AS leases
       FROM "ClusterNode" n WHERE n."seenAt" > now() - $1 * interval '1 millisecond' ORDER BY n.node`,
      [withinMs],
    );
    return rows.map((r) => ({ ...r, leases: Number(r.leases) }));
  }
}
