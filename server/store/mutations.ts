/**
 * Changes to stored messages after the fact: corrections (XEP-0308) keep every earlier content as a MessageVersion,
 * retractions (XEP-0424) empty the row and leave it as a tombstone, and "delete for me" removes rows and remembers
 * just enough (DeletedMessage, DeletedConversation) that an archive catch-up does not bring them back.
 */
import type pg from 'pg';
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';
import type { MessageRow } from './messages.js';

export interface VersionRow {
  version: number;
  body: string | null;
  encrypted: string | null;
  sourceId: string | null;
  stamp: Date;
}

export interface NewContent {
  body: string | null;
  encrypted: string | null;
  /** The correction's own id: the same correction applied twice changes nothing. */
  sourceId: string | null;
  stamp: Date;
}

/** What identifies a message for the tombstones: the Message dedup keys and the stamp. */
export interface MessageKeys {
  peer: string;
  direction: 'in' | 'out';
  stanzaId: string | null;
  originId: string | null;
  stamp: Date;
}

/**
 * Earlier versions kept per message besides the original (version 0): a contact who corrects the same message
 * thousands of times fills no table; the versions in between go, oldest first.
 */
export const MAX_VERSIONS = 20;

export class MutationStore {
  constructor(private readonly db: Database) {}

  /**
   * The message of this conversation and sender side (`direction`) that `id` names: its id attribute or origin-id,
   * else a correction of it that `id` names (clients that refer to their previous correction). Newest wins.
   */
  async findTarget(accountId: string, peer: string, direction: 'in' | 'out', id: string): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null) return null;
    const { rows } = await this.db.pool.query<MessageRow>(
      `(SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND direction = $3 AND ("messageId" = $4 OR "originId" = $4)
          ORDER BY stamp DESC, id DESC LIMIT 1)
       UNION ALL
       (SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND direction = $3 AND "correctionId" = $4 LIMIT 1)
       UNION ALL
       (SELECT m.* FROM "MessageVersion" v JOIN "Message" m ON m.id = v."messageId"
          WHERE m."accountId" = $1 AND m.peer = $2 AND m.direction = $3 AND v."sourceId" = $4 LIMIT 1)
       LIMIT 1`,
      [accountId, peer, direction, id],
    );
    return rows[0] ?? null;
  }

  /** Does a message with this id exist in the conversation at all, from either side (to tell a spoof from an unknown id)? */
  async existsEitherSide(accountId: string, peer: string, id: string): Promise<boolean> {
    if (toBigInt(accountId) === null) return false;
    const { rows } = await this.db.pool.query(
      `SELECT 1 FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND ("messageId" = $3 OR "originId" = $3) LIMIT 1`,
      [accountId, peer, id],
    );
    return rows.length > 0;
  }

  /**
   * Replaces the shown content of a message, keeping the previous one as a version. Returns the updated row, or null
   * when nothing changed: no such row, retracted, or this correction was applied already.
   */
  async correct(accountId: string, rowId: string, content: NewContent): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null || toBigInt(rowId) === null) return null;
    return this.transaction(async (c) => {
      const { rows } = await c.query<MessageRow & { version: number; correctionId: string | null; editedAt: Date | null }>(
        `SELECT * FROM "Message" WHERE "accountId" = $1 AND id = $2 AND "retractedAt" IS NULL FOR UPDATE`,
        [accountId, rowId],
      );
      const row = rows[0];
      if (!row) return null;
      if (content.sourceId !== null) {
        if (content.sourceId === row.correctionId || content.sourceId === (row.originId ?? row.messageId)) return null;
        const seen = await c.query(`SELECT 1 FROM "MessageVersion" WHERE "messageId" = $1 AND "sourceId" = $2 LIMIT 1`, [rowId, content.sourceId]);
        if (seen.rows.length > 0) return null;
      }
      await c.query(
        `INSERT INTO "MessageVersion" ("messageId", version, body, encrypted, "sourceId", stamp) VALUES ($1, $2, $3, $4, $5, $6)`,
        [rowId, row.version, row.body, row.encrypted, row.correctionId ?? row.originId ?? row.messageId, row.editedAt ?? row.stamp],
      );
      await c.query(
        `DELETE FROM "MessageVersion" WHERE "messageId" = $1 AND version > 0 AND version <= (
           SELECT max(version) - $2 FROM "MessageVersion" WHERE "messageId" = $1)`,
        [rowId, MAX_VERSIONS],
      );
      const updated = await c.query<MessageRow>(
        `UPDATE "Message" SET body = $2, encrypted = $3, "correctionId" = $4, "editedAt" = $5, version = version + 1 WHERE id = $1 RETURNING *`,
        [rowId, content.body, content.encrypted, content.sourceId, content.stamp],
      );
      return updated.rows[0] ?? null;
    });
  }

  /** Earlier contents of a message, oldest first (the current one is on the row). */
  async versions(accountId: string, rowId: string): Promise<VersionRow[]> {
    if (toBigInt(accountId) === null || toBigInt(rowId) === null) return [];
    const { rows } = await this.db.pool.query<VersionRow>(
      `SELECT v.version, v.body, v.encrypted, v."sourceId", v.stamp FROM "MessageVersion" v JOIN "Message" m ON m.id = v."messageId"
       WHERE m."accountId" = $1 AND m.id = $2 ORDER BY v.version`,
      [accountId, rowId],
    );
    return rows;
  }

  /** Empties a message for good (body, ciphertext, file link, earlier versions); the row stays as a tombstone. */
  async retract(accountId: string, rowId: string, at: Date): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null || toBigInt(rowId) === null) return null;
    return this.transaction(async (c) => {
      const { rows } = await c.query<MessageRow>(
        `UPDATE "Message" SET body = NULL, encrypted = NULL, "attachmentUrl" = NULL, "attachmentName" = NULL, "attachmentSize" = NULL,
           "attachmentType" = NULL, "retractedAt" = $3 WHERE "accountId" = $1 AND id = $2 AND "retractedAt" IS NULL RETURNING *`,
        [accountId, rowId, at],
      );
      if (rows[0]) await c.query(`DELETE FROM "MessageVersion" WHERE "messageId" = $1`, [rowId]);
      return rows[0] ?? null;
    });
  }

  /** Deletes one message (and its versions) and keeps its keys so the archive cannot bring it back. */
  async deleteMessage(accountId: string, rowId: string): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null || toBigInt(rowId) === null) return null;
    return this.transaction(async (c) => {
      const { rows } = await c.query<MessageRow>(`DELETE FROM "Message" WHERE "accountId" = $1 AND id = $2 RETURNING *`, [accountId, rowId]);
      const row = rows[0];
      if (!row) return null;
      if (row.stanzaId !== null || row.originId !== null) {
        await c.query(`INSERT INTO "DeletedMessage" ("accountId", peer, direction, "stanzaId", "originId") VALUES ($1, $2, $3, $4, $5)`, [
          accountId, row.peer, row.direction, row.stanzaId, row.originId,
        ]);
      }
      return row;
    });
  }

  /**
   * Deletes a whole conversation; archive results stamped up to its newest message (or now) stay deleted. The
   * single-message tombstones of that conversation are covered by the mark and go. Returns the deleted ids.
   */
  async deleteConversation(accountId: string, peer: string, now: Date): Promise<string[]> {
    if (toBigInt(accountId) === null) return [];
    return this.transaction(async (c) => {
      const { rows } = await c.query<{ id: string; stamp: Date }>(`DELETE FROM "Message" WHERE "accountId" = $1 AND peer = $2 RETURNING id, stamp`, [accountId, peer]);
      const newest = rows.reduce((t, r) => Math.max(t, r.stamp.getTime()), now.getTime());
      await c.query(
        `INSERT INTO "DeletedConversation" ("accountId", peer, before) VALUES ($1, $2, $3)
         ON CONFLICT ("accountId", peer) DO UPDATE SET before = GREATEST("DeletedConversation".before, EXCLUDED.before)`,
        [accountId, peer, new Date(newest)],
      );
      await c.query(`DELETE FROM "DeletedMessage" WHERE "accountId" = $1 AND peer = $2`, [accountId, peer]);
      return rows.map((r) => r.id);
    });
  }

  /** Which of these messages were deleted for us (by index): a catch-up must skip them. Three queries whatever the size. */
  async forgotten(accountId: string, msgs: readonly MessageKeys[]): Promise<Set<number>> {
    const out = new Set<number>();
    if (msgs.length === 0 || toBigInt(accountId) === null) return out;
    const peers = [...new Set(msgs.map((m) => m.peer))];
    const cuts = await this.db.pool.query<{ peer: string; before: Date }>(
      `SELECT peer, before FROM "DeletedConversation" WHERE "accountId" = $1 AND peer = ANY($2::text[])`,
      [accountId, peers],
    );
    const cut = new Map(cuts.rows.map((r) => [r.peer, r.before.getTime()]));
    const stanzaIds = msgs.flatMap((m) => (m.stanzaId !== null ? [m.stanzaId] : []));
    const keyed = msgs.filter((m) => m.originId !== null);
    const { rows } = await this.db.pool.query<{ stanzaId: string | null; originId: string | null; peer: string; direction: string }>(
      `SELECT "stanzaId", "originId", peer, direction FROM "DeletedMessage" WHERE "accountId" = $1 AND "stanzaId" = ANY($2::text[])
       UNION ALL
       SELECT d."stanzaId", d."originId", d.peer, d.direction FROM unnest($3::text[], $4::text[]) AS k(peer, "originId")
         JOIN "DeletedMessage" d ON d."accountId" = $1 AND d.peer = k.peer AND d."originId" = k."originId"`,
      [accountId, stanzaIds, keyed.map((m) => m.peer), keyed.map((m) => m.originId)],
    );
    const gone = new Set<string>();
    for (const r of rows) {
      if (r.stanzaId !== null) gone.add(`s:${r.stanzaId}`);
      if (r.originId !== null) gone.add(`o:${JSON.stringify([r.peer, r.direction, r.originId])}`);
    }
    msgs.forEach((m, i) => {
      const before = cut.get(m.peer);
      if (before !== undefined && m.stamp.getTime() <= before) out.add(i);
      else if (m.stanzaId !== null && gone.has(`s:${m.stanzaId}`)) out.add(i);
      else if (m.originId !== null && gone.has(`o:${JSON.stringify([m.peer, m.direction, m.originId])}`)) out.add(i);
    });
    return out;
  }

  private async transaction<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
