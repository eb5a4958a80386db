/**
 * Message history, one copy per account. Written only by the server (live stanzas, carbons, MAM pages, sends),
 * so every write goes through `insert`, which is idempotent: the same message seen twice (live and again in the
 * archive, or a retried send) is stored once.
 *
 * Dedup keys (both unique indexes, NULLs never collide):
 *   - (accountId, stanzaId): the id our own archive gave the message (XEP-0359 stanza-id / MAM id).
 *   - (accountId, peer, originId, direction): XEP-0359 origin-id is chosen by the sender, so it is only unique
 *     per sender; in a one-to-one conversation the sender is fixed by (peer, direction) — 'in' = the peer,
 *     'out' = us. A peer cannot collide with our ids or another peer's.
 */
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';

export type MessageState = 'pending' | 'sent' | 'delivered' | 'displayed' | 'failed' | 'received';

export interface MessageRow {
  /** bigint as a decimal string; breaks ties between equal stamps. */
  id: string;
  accountId: string;
  /** Bare JID of the conversation. */
  peer: string;
  direction: 'in' | 'out';
  fromJid: string;
  toJid: string;
  type: string;
  body: string | null;
  encrypted: string | null;
  messageId: string | null;
  originId: string | null;
  stanzaId: string | null;
  /** XEP-0066 link to a file (http/https only, validated by the parser). */
  attachmentUrl: string | null;
  attachmentName: string | null;
  /** bigint as a decimal string, as pg returns it. */
  attachmentSize: string | null;
  attachmentType: string | null;
  stamp: Date;
  state: MessageState;
  createdAt: Date;
}

type AttachmentColumns = 'attachmentUrl' | 'attachmentName' | 'attachmentSize' | 'attachmentType';

/** The attachment columns may be left out: most messages have none. */
export type NewMessage = Omit<MessageRow, 'id' | 'createdAt' | AttachmentColumns> & Partial<Pick<MessageRow, AttachmentColumns>>;

export interface Cursor {
  stamp: Date;
  id: string;
}

export interface ConversationRow {
  last: MessageRow;
  /** Incoming messages not displayed yet. */
  unread: number;
}

const INSERT_COLUMNS = ['accountId', 'peer', 'direction', 'fromJid', 'toJid', 'type', 'body', 'encrypted', 'messageId', 'originId', 'stanzaId', 'stamp', 'state',
  'attachmentUrl', 'attachmentName', 'attachmentSize', 'attachmentType'] as const;
const COLUMN_LIST = INSERT_COLUMNS.map((c) => `"${c}"`).join(', ');
const MAX_PAGE = 1000;

export class MessageStore {
  constructor(private readonly db: Database) {}

  /**
   * Stores a message once. When it is already there (same stanzaId, or same originId from the same sender), returns
   * the stored row with inserted=false — after filling in its stanzaId if it had none (our own sent message, seen
   * again in the archive).
   */
  async insert(msg: NewMessage): Promise<{ row: MessageRow; inserted: boolean }> {
    requireId(msg.accountId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await this.db.pool.query<MessageRow>(
        `INSERT INTO "Message" (${COLUMN_LIST}) VALUES (${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT DO NOTHING RETURNING *`,
        INSERT_COLUMNS.map((c) => msg[c] ?? null),
      );
      if (rows[0]) return { row: rows[0], inserted: true };
      const existing = await this.findDuplicate(msg);
      if (!existing) continue; // deleted between the two statements: try again
      if (existing.stanzaId === null && msg.stanzaId !== null) {
        const filled = await this.db.pool.query<MessageRow>(
          `UPDATE "Message" SET "stanzaId" = $2 WHERE id = $1 AND "stanzaId" IS NULL
             AND NOT EXISTS (SELECT 1 FROM "Message" WHERE "accountId" = $3 AND "stanzaId" = $2) RETURNING *`,
          [existing.id, msg.stanzaId, msg.accountId],
        );
        return { row: filled.rows[0] ?? existing, inserted: false };
      }
      return { row: existing, inserted: false };
    }
    throw new Error('message insert kept conflicting with a row that disappears');
  }

  private async findDuplicate(msg: NewMessage): Promise<MessageRow | null> {
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT * FROM "Message" WHERE "accountId" = $1 AND (
         ($2::text IS NOT NULL AND "stanzaId" = $2)
         OR ($3::text IS NOT NULL AND peer = $4 AND "originId" = $3 AND direction = $5))
       ORDER BY ("stanzaId" IS NOT DISTINCT FROM $2) DESC LIMIT 1`,
      [msg.accountId, msg.stanzaId, msg.originId, msg.peer, msg.direction],
    );
    return rows[0] ?? null;
  }

  /**
   * Newest first, `limit` messages of a conversation strictly older than `before` (keyset pagination on
   * (stamp, id), served by the (accountId, peer, stamp DESC, id DESC) index: cost independent of history length).
   */
  async page(accountId: string, peer: string, opts: { before?: Cursor; limit: number }): Promise<MessageRow[]> {
    if (toBigInt(accountId) === null) return [];
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(opts.limit)));
    if (!opts.before) {
      const { rows } = await this.db.pool.query<MessageRow>(
        `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 ORDER BY stamp DESC, id DESC LIMIT $3`,
        [accountId, peer, limit],
      );
      return rows;
    }
    const { stamp, id } = checkCursor(opts.before);
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND (stamp, id) < ($3::timestamptz, $4::bigint)
       ORDER BY stamp DESC, id DESC LIMIT $5`,
      [accountId, peer, stamp, id, limit],
    );
    return rows;
  }

  async byId(accountId: string, id: string): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null || toBigInt(id) === null) return null;
    const { rows } = await this.db.pool.query<MessageRow>(`SELECT * FROM "Message" WHERE "accountId" = $1 AND id = $2`, [accountId, id]);
    return rows[0] ?? null;
  }

  /** Sets the state; returns the updated row, or null when there is no such message or it already had that state. */
  /**
   * Sets a message's state. With `onlyFrom`, only a row currently in one of those states changes, so concurrent
   * updates (a receipt overtaking the server's ack) never move a message backwards.
   */
  async updateState(accountId: string, id: string, state: MessageState, onlyFrom?: MessageState[]): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null || toBigInt(id) === null) return null;
    const { rows } = await this.db.pool.query<MessageRow>(
      `UPDATE "Message" SET state = $3 WHERE "accountId" = $1 AND id = $2 AND state <> $3
         AND ($4::text[] IS NULL OR state = ANY($4::text[])) RETURNING *`,
      [accountId, id, state, onlyFrom ?? null],
    );
    return rows[0] ?? null;
  }

  /**
   * The message a receipt (XEP-0184) or chat marker (XEP-0333) points at. Clients reference either the stanza's id
   * attribute or its origin-id, so both are matched; the newest wins if an id was reused.
   */
  async findByMessageId(accountId: string, peer: string, messageId: string): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null) return null;
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND ("messageId" = $3 OR "originId" = $3)
       ORDER BY stamp DESC, id DESC LIMIT 1`,
      [accountId, peer, messageId],
    );
    return rows[0] ?? null;
  }

  /** Marks incoming messages up to and including (stamp, id) as displayed. Returns how many changed. */
  async markDisplayedUpTo(accountId: string, peer: string, stamp: Date, id: string): Promise<number> {
    if (toBigInt(accountId) === null) return 0;
    const c = checkCursor({ stamp, id });
    const r = await this.db.pool.query(
      `UPDATE "Message" SET state = 'displayed' WHERE "accountId" = $1 AND peer = $2 AND state = 'received'
         AND direction = 'in' AND (stamp, id) <= ($3::timestamptz, $4::bigint)`,
      [accountId, peer, c.stamp, c.id],
    );
    return r.rowCount ?? 0;
  }

  /**
   * The newest message of each conversation, newest conversation first, with its unread count. Walks the distinct
   * peers through the (accountId, peer, stamp, id) index (a loose index scan) instead of reading every message.
   */
  async conversations(accountId: string, limit: number): Promise<ConversationRow[]> {
    if (toBigInt(accountId) === null) return [];
    const { rows } = await this.db.pool.query<MessageRow & { unread: string }>(
      `WITH RECURSIVE peers(peer) AS (
         (SELECT peer FROM "Message" WHERE "accountId" = $1 ORDER BY peer LIMIT 1)
         UNION ALL
         SELECT (SELECT m.peer FROM "Message" m WHERE m."accountId" = $1 AND m.peer > p.peer ORDER BY m.peer LIMIT 1)
         FROM peers p WHERE p.peer IS NOT NULL
       )
       SELECT last.*, (SELECT count(*) FROM "Message" u
                        WHERE u."accountId" = $1 AND u.state = 'received' AND u.peer = p.peer AND u.direction = 'in') AS unread
       FROM peers p
       CROSS JOIN LATERAL (SELECT * FROM "Message" m WHERE m."accountId" = $1 AND m.peer = p.peer
                           ORDER BY m.stamp DESC, m.id DESC LIMIT 1) last
       WHERE p.peer IS NOT NULL
       ORDER BY last.stamp DESC, last.id DESC
       LIMIT $2`,
      [accountId, Math.max(1, Math.floor(limit))],
    );
    return rows.map(({ unread, ...last }) => ({ last, unread: Number(unread) }));
  }

  /** The newest archived message (archive id and stamp): where MAM catch-up continues (XEP-0313 'after'). */
  async lastArchived(accountId: string): Promise<{ stanzaId: string; stamp: Date } | null> {
    if (toBigInt(accountId) === null) return null;
    const { rows } = await this.db.pool.query<{ stanzaId: string; stamp: Date }>(
      `SELECT "stanzaId", stamp FROM "Message" WHERE "accountId" = $1 AND "stanzaId" IS NOT NULL ORDER BY stamp DESC, id DESC LIMIT 1`,
      [accountId],
    );
    return rows[0] ?? null;
  }

  /** Stamp of the newest stored message of the account (any conversation). */
  async newestStamp(accountId: string): Promise<Date | null> {
    if (toBigInt(accountId) === null) return null;
    const { rows } = await this.db.pool.query<{ stamp: Date }>(
      `SELECT stamp FROM "Message" WHERE "accountId" = $1 ORDER BY stamp DESC, id DESC LIMIT 1`,
      [accountId],
    );
    return rows[0]?.stamp ?? null;
  }

  /** Outgoing messages not acknowledged by the server yet, oldest first (sent again after a reconnect). */
  async pendingOutbox(accountId: string): Promise<MessageRow[]> {
    if (toBigInt(accountId) === null) return [];
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT * FROM "Message" WHERE "accountId" = $1 AND state = 'pending' AND direction = 'out' ORDER BY stamp, id`,
      [accountId],
    );
    return rows;
  }

  /**
   * Bulk import (benchmarks, imports): multi-row INSERTs through pg, 1,000 rows per statement, ~7x faster than
   * Prisma's createMany. Duplicates by the dedup keys are skipped. Returns how many rows were inserted.
   */
  async bulkInsertRaw(rows: NewMessage[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const values: unknown[] = [];
      const tuples = chunk.map((m) => {
        requireId(m.accountId);
        const o = values.length;
        for (const c of INSERT_COLUMNS) values.push(m[c] ?? null);
        return `(${INSERT_COLUMNS.map((_, j) => `$${o + j + 1}`).join(', ')})`;
      });
      const r = await this.db.pool.query(`INSERT INTO "Message" (${COLUMN_LIST}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, values);
      inserted += r.rowCount ?? 0;
    }
    return inserted;
  }
}

function requireId(accountId: string): void {
  if (toBigInt(accountId) === null) throw new TypeError(`invalid account id ${JSON.stringify(accountId)}`);
}

/** Cursors come from the tabs: reject anything that is not a real time and a decimal id. */
function checkCursor(c: Cursor): Cursor {
  if (!(c.stamp instanceof Date) || Number.isNaN(c.stamp.getTime())) throw new RangeError('invalid cursor stamp');
  if (toBigInt(c.id) === null) throw new RangeError('invalid cursor id');
  return c;
}
