/**
 * Message history, one copy per account. Written only by the server (live stanzas, carbons, MAM pages, sends),
 * so every write goes through `insert`, which is idempotent: the same message seen twice (live and again in the
 * archive, or a retried send) is stored once.
 *
 * Dedup keys (both unique indexes, NULLs never collide):
 *   - (accountId, peer, stanzaId): the id our own archive gave the message (XEP-0359 stanza-id / MAM id), or in a
 *     room (peer = the room) the id the room's archive gave it: a room picks its ids, so they are only unique in it.
 *   - (accountId, peer, originId, direction, originSender): XEP-0359 origin-id is chosen by the sender, so it is
 *     only unique per sender; in a one-to-one conversation the sender is fixed by (peer, direction) — 'in' = the
 *     peer, 'out' = us (originSender ''); in a room 'in' messages have many senders, named by originSender (nick).
 *     A peer cannot collide with our ids or another peer's, an occupant not with another occupant's.
 */
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';
import { GroupCommit } from './group-commit.js';

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
  /** A sender's delay stamp that was not believed for ordering (display only); null when `stamp` is the claimed time. */
  claimedStamp: Date | null;
  state: MessageState;
  createdAt: Date;
  /** XEP-0461: the id of the message this one replies to, its author, and the fallback quote's code point range. */
  replyToId: string | null;
  replyToJid: string | null;
  replyFallbackStart: number | null;
  replyFallbackEnd: number | null;
  /** Room messages and MUC-PMs: the sender's nick; its real bare JID when the room showed it; its XEP-0421 id. */
  nick: string | null;
  senderJid: string | null;
  occupantId: string | null;
  /** Our room nick is mentioned in it (server/features/rooms/mentions.ts). */
  mentionsMe: boolean;
  /** XEP-0425 moderation: the row is a tombstone (body and ciphertext gone). */
  moderatedAt: Date | null;
  moderatedBy: string | null;
  moderationReason: string | null;
  /** See the dedup keys above: '' except for others' messages in a room (their nick). */
  originSender: string;
}

type RoomColumns = 'nick' | 'senderJid' | 'occupantId' | 'mentionsMe' | 'originSender';
type ModerationColumns = 'moderatedAt' | 'moderatedBy' | 'moderationReason';
type ReplyColumns = 'replyToId' | 'replyToJid' | 'replyFallbackStart' | 'replyFallbackEnd';
type OptionalColumns = 'attachmentUrl' | 'attachmentName' | 'attachmentSize' | 'attachmentType' | 'claimedStamp' | ReplyColumns | RoomColumns;

/** The attachment, reply and room columns and claimedStamp may be left out: most messages have none. */
export type NewMessage = Omit<MessageRow, 'id' | 'createdAt' | OptionalColumns | ModerationColumns> & Partial<Pick<MessageRow, OptionalColumns>>;

interface StateUpdate {
  accountId: string;
  id: string;
  state: MessageState;
  onlyFrom: MessageState[] | null;
}

export interface InsertResult {
  row: MessageRow;
  inserted: boolean;
}

/**
 * Called once per message of a batch, in batch order, before anything is written: `held` is the stamp of the row the
 * message duplicates (stored already, or new earlier in the batch), null for a new message. Returns the stamp to store
 * the message with if it is new (see ArchiveSync: archive order across whole-second stamps).
 */
export type BatchStamp = (msg: NewMessage, held: Date | null) => Date;

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
  'attachmentUrl', 'attachmentName', 'attachmentSize', 'attachmentType', 'claimedStamp',
  'replyToId', 'replyToJid', 'replyFallbackStart', 'replyFallbackEnd',
  'nick', 'senderJid', 'occupantId', 'mentionsMe', 'originSender'] as const;
/** Columns that are NOT NULL with a default: a message that leaves them out gets the default, not NULL. */
const COLUMN_DEFAULTS: Partial<Record<(typeof INSERT_COLUMNS)[number], unknown>> = { mentionsMe: false, originSender: '' };
const columnValue = (m: NewMessage, c: (typeof INSERT_COLUMNS)[number]): unknown => m[c] ?? COLUMN_DEFAULTS[c] ?? null;
const COLUMN_LIST = INSERT_COLUMNS.map((c) => `"${c}"`).join(', ');
const MAX_PAGE = 1000;
/** Rows per multi-row INSERT: 27 parameters each, far below PostgreSQL's 65,535 bind parameters per statement. */
const ROWS_PER_INSERT = Math.min(1000, Math.floor(65_535 / INSERT_COLUMNS.length));
/**
 * Group-commit statements running at once (inserts, state changes). One each: what arrives while a statement runs
 * goes into the next, so batches grow with the load. In the throughput bench (tab -> tab at 1,000 msg/s over 100
 * pairs) one in flight gave 981 msg/s, p99 233-297 ms and 0.14-0.36 ms of PostgreSQL CPU per message; two or four
 * in flight gave smaller batches, 789-813 msg/s, p99 1.5-2.1 s and 0.29-0.52 ms. Either way far below the pool's 10
 * connections, so reads never wait behind them.
 */
const INSERTS_IN_FLIGHT = 1;
const STATE_UPDATES_IN_FLIGHT = 1;

const conversationOf = (m: NewMessage) => `${m.accountId} ${m.peer}`;

/**
 * `fn` for each message, one after another within a conversation (its ids keep the order of arrival), conversations
 * side by side; results in input order.
 */
async function inOrderPerConversation<R>(msgs: readonly NewMessage[], fn: (m: NewMessage, i: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(msgs.length);
  const lines = new Map<string, number[]>();
  msgs.forEach((m, i) => {
    const key = conversationOf(m);
    const line = lines.get(key);
    if (line) line.push(i);
    else lines.set(key, [i]);
  });
  await Promise.all(
    [...lines.values()].map(async (line) => {
      for (const i of line) {
        try {
          results[i] = { status: 'fulfilled', value: await fn(msgs[i]!, i) };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
      }
    }),
  );
  return results;
}

export class MessageStore {
  /** Every account's single inserts of one event-loop turn, written by one multi-row INSERT (see insertGrouped). */
  private readonly group = new GroupCommit<NewMessage, InsertResult>((msgs) => this.insertGrouped(msgs), {
    maxItems: ROWS_PER_INSERT,
    maxInFlight: INSERTS_IN_FLIGHT,
    keyOf: conversationOf,
  });

  /** State changes (acks, receipts, markers) of one event-loop turn, one UPDATE (see updateStates). */
  private readonly stateGroup = new GroupCommit<StateUpdate, MessageRow | null>((updates) => this.updateStates(updates), {
    maxItems: 1000,
    maxInFlight: STATE_UPDATES_IN_FLIGHT,
  });

  constructor(private readonly db: Database) {}

  /**
   * Stores a message once. When it is already there (same stanzaId, or same originId from the same sender), returns
   * the stored row with inserted=false — after filling in its stanzaId if it had none (our own sent message, seen
   * again in the archive). Inserts from all accounts in the same event-loop turn share one statement (group commit);
   * the result is the same as inserting them one by one in the order they were called.
   */
  insert(msg: NewMessage): Promise<InsertResult> {
    requireId(msg.accountId);
    return this.group.add(msg);
  }

  /**
   * One multi-row INSERT ... ON CONFLICT DO NOTHING for a group of single inserts (any accounts). A message whose row
   * comes back was new; the others conflicted (a duplicate, stored before or earlier in this group) and take
   * insertOne, which finds the row they duplicate (and fills in its stanzaId) exactly as a lone insert would. If the
   * statement fails (one bad message, or the database went away), every message is tried on its own, so each caller
   * gets its own result or error, as without grouping.
   */
  private async insertGrouped(msgs: readonly NewMessage[]): Promise<PromiseSettledResult<InsertResult>[]> {
    if (msgs.length === 1) return Promise.allSettled([this.insertOne(msgs[0]!)]);
    let rows: MessageRow[];
    try {
      const { text, values } = valuesClause(msgs);
      rows = (await this.db.pool.query<MessageRow>(`INSERT INTO "Message" (${COLUMN_LIST}) VALUES ${text} ON CONFLICT DO NOTHING RETURNING *`, values)).rows;
    } catch {
      return inOrderPerConversation(msgs, (m) => this.insertOne(m));
    }
    const matched = matchInserted(msgs, rows);
    return inOrderPerConversation(msgs, (m, i) => (matched[i] ? Promise.resolve({ row: matched[i]!, inserted: true }) : this.insertOne(m)));
  }

  /**
   * Stores a batch (a MAM page) as if `insert` were called for each message in order, in a few round trips: one
   * query finds the stored rows the batch duplicates, `stamp` may then move the new messages' stamps, and one
   * multi-row INSERT (per ROWS_PER_INSERT) writes the new ones. Only a duplicate whose stanzaId gets filled in, and a
   * row that conflicted anyway (a live insert racing us), take the per-message path. Results are in input order.
   */
  async insertMany(msgs: readonly NewMessage[], stamp?: BatchStamp): Promise<InsertResult[]> {
    if (msgs.length === 0) return [];
    const accountId = msgs[0]!.accountId;
    requireId(accountId);
    if (msgs.some((m) => m.accountId !== accountId)) throw new TypeError('insertMany takes the messages of one account');
    const plan = planBatch(msgs, await this.findDuplicates(accountId, msgs), stamp);
    const inserted = await this.insertRows(plan.steps.flatMap((s) => (s.kind === 'new' ? [s.msg] : [])));
    const results: InsertResult[] = [];
    for (const step of plan.steps) {
      let result: InsertResult;
      if (step.kind === 'new') {
        const row = inserted.take(step.msg);
        result = row ? { row, inserted: true } : await this.insertOne(step.msg);
      } else if (step.fill || !step.of.row) {
        result = await this.insertOne(step.msg);
      } else {
        result = { row: step.of.row, inserted: false };
      }
      step.of.row = result.row;
      results.push(result);
    }
    return results;
  }

  /** The stored rows that any of these messages duplicates, by either dedup key. */
  private async findDuplicates(accountId: string, msgs: readonly NewMessage[]): Promise<MessageRow[]> {
    const stamped = msgs.filter((m) => m.stanzaId !== null);
    const keyed = msgs.filter((m) => m.originId !== null);
    if (stamped.length === 0 && keyed.length === 0) return [];
    // Arrays, not one parameter per message: any batch size fits in eight parameters. Each branch uses its unique index.
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT m.* FROM unnest($2::text[], $3::text[]) AS s(peer, "stanzaId")
         JOIN "Message" m ON m."accountId" = $1 AND m.peer = s.peer AND m."stanzaId" = s."stanzaId"
       UNION
       SELECT m.* FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS k(peer, "originId", direction, "originSender")
         JOIN "Message" m ON m."accountId" = $1 AND m.peer = k.peer AND m."originId" = k."originId" AND m.direction = k.direction
           AND m."originSender" = k."originSender"`,
      [accountId, stamped.map((m) => m.peer), stamped.map((m) => m.stanzaId), keyed.map((m) => m.peer), keyed.map((m) => m.originId),
        keyed.map((m) => m.direction), keyed.map((m) => m.originSender ?? '')],
    );
    return rows;
  }

  /** Multi-row INSERT ... ON CONFLICT DO NOTHING; what comes back is matched to its message by the dedup keys. */
  private async insertRows(msgs: NewMessage[]): Promise<InsertedRows> {
    const rows: MessageRow[] = [];
    for (let i = 0; i < msgs.length; i += ROWS_PER_INSERT) {
      const { text, values } = valuesClause(msgs.slice(i, i + ROWS_PER_INSERT));
      const r = await this.db.pool.query<MessageRow>(`INSERT INTO "Message" (${COLUMN_LIST}) VALUES ${text} ON CONFLICT DO NOTHING RETURNING *`, values);
      rows.push(...r.rows);
    }
    return new InsertedRows(rows);
  }

  private async insertOne(msg: NewMessage): Promise<InsertResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await this.db.pool.query<MessageRow>(
        `INSERT INTO "Message" (${COLUMN_LIST}) VALUES (${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT DO NOTHING RETURNING *`,
        INSERT_COLUMNS.map((c) => columnValue(msg, c)),
      );
      if (rows[0]) return { row: rows[0], inserted: true };
      const existing = await this.findDuplicate(msg);
      if (!existing) continue; // deleted between the two statements: try again
      if (existing.stanzaId === null && msg.stanzaId !== null) {
        const filled = await this.db.pool.query<MessageRow>(
          `UPDATE "Message" SET "stanzaId" = $2 WHERE id = $1 AND "stanzaId" IS NULL
             AND NOT EXISTS (SELECT 1 FROM "Message" WHERE "accountId" = $3 AND peer = $4 AND "stanzaId" = $2) RETURNING *`,
          [existing.id, msg.stanzaId, msg.accountId, msg.peer],
        );
        return { row: filled.rows[0] ?? existing, inserted: false };
      }
      return { row: existing, inserted: false };
    }
    throw new Error('message insert kept conflicting with a row that disappears');
  }

  private async findDuplicate(msg: NewMessage): Promise<MessageRow | null> {
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $4 AND (
         ($2::text IS NOT NULL AND "stanzaId" = $2)
         OR ($3::text IS NOT NULL AND "originId" = $3 AND direction = $5 AND "originSender" = $6))
       ORDER BY ("stanzaId" IS NOT DISTINCT FROM $2) DESC LIMIT 1`,
      [msg.accountId, msg.stanzaId, msg.originId, msg.peer, msg.direction, msg.originSender ?? ''],
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

  /**
   * Sets a message's state. With `onlyFrom`, only a row currently in one of those states changes, so concurrent
   * updates (a receipt overtaking the server's ack) never move a message backwards. Returns the updated row, or null
   * when there is no such message or it was not changed. Grouped like `insert`: the updates of one event-loop turn
   * share one statement, with the same results as running them one by one in call order.
   */
  async updateState(accountId: string, id: string, state: MessageState, onlyFrom?: MessageState[]): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null || toBigInt(id) === null) return null;
    return this.stateGroup.add({ accountId, id, state, onlyFrom: onlyFrom ?? null });
  }

  /**
   * One UPDATE ... FROM unnest(...) per round; a message named twice goes in a later round (one statement may change a
   * row only once), so updates of one row apply in call order.
   */
  private async updateStates(updates: readonly StateUpdate[]): Promise<PromiseSettledResult<MessageRow | null>[]> {
    const results: PromiseSettledResult<MessageRow | null>[] = new Array(updates.length);
    let rest = updates.map((u, i) => ({ u, i }));
    while (rest.length > 0) {
      const seen = new Set<string>();
      const round: typeof rest = [];
      const later: typeof rest = [];
      for (const x of rest) (seen.has(x.u.id) ? later : (seen.add(x.u.id), round)).push(x);
      rest = later;
      try {
        const { rows } = await this.db.pool.query<MessageRow>(
          `UPDATE "Message" m SET state = u.state
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS u("accountId", id, state, "onlyFrom")
           WHERE m."accountId" = u."accountId" AND m.id = u.id AND m.state <> u.state
             AND (u."onlyFrom" IS NULL OR m.state = ANY(string_to_array(u."onlyFrom", ',')))
           RETURNING m.*`,
          [round.map(({ u }) => u.accountId), round.map(({ u }) => u.id), round.map(({ u }) => u.state), round.map(({ u }) => u.onlyFrom?.join(',') ?? null)],
        );
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const { u, i } of round) results[i] = { status: 'fulfilled', value: byId.get(String(toBigInt(u.id))) ?? null };
      } catch (err) {
        for (const { i } of [...round, ...rest]) results[i] = { status: 'rejected', reason: err };
        break;
      }
    }
    return results;
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

  /**
   * Marks incoming messages up to and including (stamp, id) as displayed. Returns how many changed. Idempotent. The
   * rows are locked in id order (FOR UPDATE in an ordered subquery): two of these racing over one conversation (or an
   * UPDATE planned through another index) cannot take the same row locks in opposite orders, which deadlocked.
   */
  async markDisplayedUpTo(accountId: string, peer: string, stamp: Date, id: string): Promise<number> {
    if (toBigInt(accountId) === null) return 0;
    const c = checkCursor({ stamp, id });
    const r = await this.db.pool.query(
      `UPDATE "Message" m SET state = 'displayed'
       FROM (SELECT id FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND state = 'received'
               AND direction = 'in' AND (stamp, id) <= ($3::timestamptz, $4::bigint)
             ORDER BY id FOR UPDATE) AS t
       WHERE m.id = t.id AND m.state = 'received'`,
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

  /**
   * The newest message from our own archive (archive id and stamp): where MAM catch-up continues (XEP-0313 'after').
   * Room messages carry the rooms' ids, not our archive's: never an anchor here.
   */
  async lastArchived(accountId: string): Promise<{ stanzaId: string; stamp: Date } | null> {
    if (toBigInt(accountId) === null) return null;
    const { rows } = await this.db.pool.query<{ stanzaId: string; stamp: Date }>(
      `SELECT "stanzaId", stamp FROM "Message" WHERE "accountId" = $1 AND "stanzaId" IS NOT NULL AND type <> 'groupchat'
       ORDER BY stamp DESC, id DESC LIMIT 1`,
      [accountId],
    );
    return rows[0] ?? null;
  }

  /** The newest (or oldest) message of a room that carries the room's stanza-id: where its archive catch-up (or paging back) goes on. */
  async roomEdge(accountId: string, room: string, edge: 'newest' | 'oldest'): Promise<{ stanzaId: string; stamp: Date } | null> {
    if (toBigInt(accountId) === null) return null;
    const order = edge === 'newest' ? 'DESC' : 'ASC';
    const { rows } = await this.db.pool.query<{ stanzaId: string; stamp: Date }>(
      `SELECT "stanzaId", stamp FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND type = 'groupchat' AND "stanzaId" IS NOT NULL
       ORDER BY stamp ${order}, id ${order} LIMIT 1`,
      [accountId, room],
    );
    return rows[0] ?? null;
  }

  /** Stamp of the newest (or oldest) stored message of one conversation. */
  async edgeStamp(accountId: string, peer: string, edge: 'newest' | 'oldest'): Promise<Date | null> {
    if (toBigInt(accountId) === null) return null;
    const order = edge === 'newest' ? 'DESC' : 'ASC';
    const { rows } = await this.db.pool.query<{ stamp: Date }>(
      `SELECT stamp FROM "Message" WHERE "accountId" = $1 AND peer = $2 ORDER BY stamp ${order}, id ${order} LIMIT 1`,
      [accountId, peer],
    );
    return rows[0]?.stamp ?? null;
  }

  /** A message of a conversation by the stanza-id its archive (ours, or the room's) gave it. */
  async byStanzaId(accountId: string, peer: string, stanzaId: string): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null) return null;
    const { rows } = await this.db.pool.query<MessageRow>(`SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND "stanzaId" = $3`, [accountId, peer, stanzaId]);
    return rows[0] ?? null;
  }

  /**
   * The room message `id` names (its id attribute, origin-id or the room's stanza-id), sent by this sender: ours
   * (`nick` null), or the occupant with that nick. Newest wins if a sender reused an id.
   */
  async roomMessageOf(accountId: string, room: string, id: string, sender: { direction: 'in' | 'out'; nick: string | null }): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null) return null;
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 AND direction = $3 AND ("messageId" = $4 OR "originId" = $4 OR "stanzaId" = $4)
         AND ($5::text IS NULL OR nick = $5) ORDER BY stamp DESC, id DESC LIMIT 1`,
      [accountId, room, sender.direction, id, sender.direction === 'out' ? null : sender.nick],
    );
    return rows[0] ?? null;
  }

  /** XEP-0425: a moderator removed the message: emptied for good, kept as a tombstone saying by whom and why. */
  async moderate(accountId: string, rowId: string, by: string | null, reason: string | null, at: Date): Promise<MessageRow | null> {
    if (toBigInt(accountId) === null || toBigInt(rowId) === null) return null;
    const { rows } = await this.db.pool.query<MessageRow>(
      `UPDATE "Message" SET body = NULL, encrypted = NULL, "attachmentUrl" = NULL, "attachmentName" = NULL, "attachmentSize" = NULL,
         "attachmentType" = NULL, "moderatedAt" = $3, "moderatedBy" = $4, "moderationReason" = $5
       WHERE "accountId" = $1 AND id = $2 AND "moderatedAt" IS NULL RETURNING *`,
      [accountId, rowId, at, by, reason],
    );
    if (rows[0]) await this.db.pool.query(`DELETE FROM "MessageVersion" WHERE "messageId" = $1`, [rowId]);
    return rows[0] ?? null;
  }

  /** Unread messages of a conversation that mention us (a room's mention counter). */
  async unreadMentions(accountId: string, peer: string): Promise<number> {
    if (toBigInt(accountId) === null) return 0;
    const { rows } = await this.db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM "Message" WHERE "accountId" = $1 AND state = 'received' AND peer = $2 AND direction = 'in' AND "mentionsMe"`,
      [accountId, peer],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Our messages to a room and to its occupants (MUC-PMs, peer = room/nick) not sent yet, oldest first: sent once we
   * are in the room again.
   */
  async pendingInRoom(accountId: string, room: string): Promise<MessageRow[]> {
    if (toBigInt(accountId) === null) return [];
    const { rows } = await this.db.pool.query<MessageRow>(
      `SELECT * FROM "Message" WHERE "accountId" = $1 AND state = 'pending' AND direction = 'out'
         AND (peer = $2 OR (peer > $3 AND peer < $4)) ORDER BY stamp, id LIMIT 1000`,
      // room/… sorts between 'room/' and 'room0' ('0' follows '/'): a range, no LIKE pattern to escape.
      [accountId, room, `${room}/`, `${room}0`],
    );
    return rows;
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
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const { text, values } = valuesClause(rows.slice(i, i + ROWS_PER_INSERT));
      const r = await this.db.pool.query(`INSERT INTO "Message" (${COLUMN_LIST}) VALUES ${text} ON CONFLICT DO NOTHING`, values);
      inserted += r.rowCount ?? 0;
    }
    return inserted;
  }
}

/** `($1, ..., $22), ($23, ...)` and its values, for a multi-row INSERT of INSERT_COLUMNS. */
function valuesClause(msgs: readonly NewMessage[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = msgs.map((m) => {
    requireId(m.accountId);
    const o = values.length;
    for (const c of INSERT_COLUMNS) values.push(columnValue(m, c));
    return `(${INSERT_COLUMNS.map((_, j) => `$${o + j + 1}`).join(', ')})`;
  });
  return { text: tuples.join(', '), values };
}

/** A row a batch message duplicates: stored already, or new earlier in the batch (row known once written). */
interface Held {
  stamp: Date;
  stanzaId: string | null;
  row: MessageRow | null;
}

type Step =
  | { kind: 'new'; msg: NewMessage; of: Held }
  /** `fill`: the held row has no stanzaId and this message brings one (insert fills it in). */
  | { kind: 'duplicate'; msg: NewMessage; of: Held; fill: boolean };

const originKey = (m: Pick<NewMessage, 'peer' | 'originId' | 'direction' | 'originSender'>) => JSON.stringify([m.peer, m.originId, m.direction, m.originSender ?? '']);
const stanzaKey = (m: Pick<NewMessage, 'peer' | 'stanzaId'>) => JSON.stringify([m.peer, m.stanzaId]);

/**
 * Decides, in batch order, what `insert` would find for each message: the duplicate it matches (by stanzaId first,
 * like findDuplicate, then by origin key) among the stored rows and the batch's earlier new messages, or nothing.
 * Exported for the unit tests.
 */
export function planBatch(msgs: readonly NewMessage[], stored: readonly MessageRow[], stamp?: BatchStamp): { steps: Step[] } {
  const byStanza = new Map<string, Held>();
  const byOrigin = new Map<string, Held>();
  for (const row of stored) {
    const held: Held = { stamp: row.stamp, stanzaId: row.stanzaId, row };
    if (row.stanzaId !== null) byStanza.set(stanzaKey(row), held);
    if (row.originId !== null) byOrigin.set(originKey(row), held);
  }
  const steps: Step[] = [];
  for (const original of msgs) {
    const of = (original.stanzaId !== null ? byStanza.get(stanzaKey(original)) : undefined) ?? (original.originId !== null ? byOrigin.get(originKey(original)) : undefined);
    const msg = stamp ? { ...original, stamp: stamp(original, of?.stamp ?? null) } : original;
    if (of) {
      const fill = msg.stanzaId !== null && of.stanzaId === null;
      if (fill) {
        // insert's UPDATE gives the held row this stanzaId: later messages with it match that row.
        of.stanzaId = msg.stanzaId;
        byStanza.set(stanzaKey(msg), of);
      }
      steps.push({ kind: 'duplicate', msg, of, fill });
      continue;
    }
    const held: Held = { stamp: msg.stamp, stanzaId: msg.stanzaId, row: null };
    if (msg.stanzaId !== null) byStanza.set(stanzaKey(msg), held);
    if (msg.originId !== null) byOrigin.set(originKey(msg), held);
    steps.push({ kind: 'new', msg, of: held });
  }
  return { steps };
}

/**
 * The rows a multi-row INSERT returned, matched back to their messages: by stanzaId or origin key (unique among a
 * batch's new messages), and rows without either (which never conflict) in insertion order, i.e. by id.
 */
class InsertedRows {
  private readonly byStanza = new Map<string, MessageRow>();
  private readonly byOrigin = new Map<string, MessageRow>();
  private readonly unkeyed: MessageRow[];

  constructor(rows: MessageRow[]) {
    const unkeyed: MessageRow[] = [];
    for (const row of rows) {
      if (row.stanzaId !== null) this.byStanza.set(stanzaKey(row), row);
      else if (row.originId !== null) this.byOrigin.set(originKey(row), row);
      else unkeyed.push(row);
    }
    this.unkeyed = unkeyed.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /** The row inserted for this message, or null (it conflicted). Call in batch order. */
  take(msg: NewMessage): MessageRow | null {
    if (msg.stanzaId !== null) return this.byStanza.get(stanzaKey(msg)) ?? null;
    if (msg.originId !== null) return this.byOrigin.get(originKey(msg)) ?? null;
    return this.unkeyed.shift() ?? null;
  }
}

/** What identifies a message among the rows one INSERT returned: the account, both dedup keys, its stamp and body. */
const identity = (m: Pick<NewMessage, 'accountId' | 'peer' | 'direction' | 'stanzaId' | 'originId' | 'originSender' | 'stamp' | 'body'>) =>
  JSON.stringify([String(toBigInt(m.accountId)), m.peer, m.direction, m.stanzaId, m.originId, m.originSender ?? '', m.stamp.getTime(), m.body]);

/**
 * The row each message of a multi-row INSERT ... ON CONFLICT DO NOTHING got, or null where it conflicted. Rows are
 * matched by identity, each taken once, in id order (PostgreSQL inserts the VALUES in order, numbering as it goes):
 * of two messages alike in every identifying column, the first one inserted is the first one given. Exported for the
 * unit tests.
 */
export function matchInserted(msgs: readonly NewMessage[], returned: readonly MessageRow[]): (MessageRow | null)[] {
  const byIdentity = new Map<string, MessageRow[]>();
  const rows = [...returned].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
  for (const row of rows) {
    const key = identity(row);
    const list = byIdentity.get(key);
    if (list) list.push(row);
    else byIdentity.set(key, [row]);
  }
  return msgs.map((m) => byIdentity.get(identity(m))?.shift() ?? null);
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
