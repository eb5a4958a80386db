/**
 * XEP-0444 reactions: one row per (message row, reactor bare JID) holding that reactor's whole current set. A set
 * replaces the stored one only if it is not older (`stamp`), so an archive replay of an earlier stanza cannot undo a
 * later change; a withdrawn set stays as an empty row for the same reason.
 */
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';

export interface ReactionRow {
  /** The Message row id (bigint as a decimal string). */
  messageId: string;
  reactor: string;
  emojis: string[];
  stamp: Date;
}

export class ReactionStore {
  constructor(private readonly db: Database) {}

  /** Stores a reactor's set for a message; false when a newer set is already stored (nothing changed). */
  async set(messageId: string, reactor: string, emojis: readonly string[], stamp: Date): Promise<boolean> {
    if (toBigInt(messageId) === null) return false;
    const r = await this.db.pool.query(
      `INSERT INTO "Reaction" ("messageId", reactor, emojis, stamp) VALUES ($1, $2, $3::text[], $4)
       ON CONFLICT ("messageId", reactor) DO UPDATE SET emojis = EXCLUDED.emojis, stamp = EXCLUDED.stamp
         WHERE "Reaction".stamp <= EXCLUDED.stamp`,
      [messageId, reactor, emojis, stamp],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** The non-empty sets of these messages (a page of history), oldest reactor change first. */
  async forMessages(messageIds: readonly string[]): Promise<ReactionRow[]> {
    const ids = messageIds.filter((id) => toBigInt(id) !== null);
    if (ids.length === 0) return [];
    const { rows } = await this.db.pool.query<ReactionRow>(
      `SELECT "messageId"::text AS "messageId", reactor, emojis, stamp FROM "Reaction"
       WHERE "messageId" = ANY($1::bigint[]) AND cardinality(emojis) > 0 ORDER BY stamp, reactor`,
      [ids],
    );
    return rows;
  }

  /** One reactor's current set for a message (empty when none). */
  async get(messageId: string, reactor: string): Promise<string[]> {
    if (toBigInt(messageId) === null) return [];
    const { rows } = await this.db.pool.query<{ emojis: string[] }>(`SELECT emojis FROM "Reaction" WHERE "messageId" = $1 AND reactor = $2`, [messageId, reactor]);
    return rows[0]?.emojis ?? [];
  }
}
