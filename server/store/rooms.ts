/**
 * The rooms an account knows (Room table): what a Parley restart needs to join them again, and what the sidebar
 * shows before the room answers. Occupants, roles and our presence are never stored; room passwords neither.
 */
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';
import type { RoomErrorDTO } from '../realtime/contract/rooms.js';

export interface RoomRow {
  jid: string;
  nick: string;
  name: string | null;
  subject: string | null;
  subjectBy: string | null;
  /** We want to be in it: joined again after a restart. */
  joined: boolean;
  bookmarked: boolean;
  autojoin: boolean;
  lastError: RoomErrorDTO | null;
}

/** A hostile room cannot fill the table: rooms per account are bounded here. */
export const MAX_ROOMS_PER_ACCOUNT = 1000;

export class RoomStore {
  constructor(private readonly db: Database) {}

  async list(accountId: string): Promise<RoomRow[]> {
    if (toBigInt(accountId) === null) return [];
    const { rows } = await this.db.pool.query<RoomRow>(
      `SELECT jid, nick, name, subject, "subjectBy", joined, bookmarked, autojoin, "lastError" FROM "Room" WHERE "accountId" = $1 ORDER BY jid LIMIT $2`,
      [accountId, MAX_ROOMS_PER_ACCOUNT],
    );
    return rows;
  }

  /** The rooms' bare JIDs (a conversation with one of them is a room). */
  async jids(accountId: string): Promise<Set<string>> {
    return new Set((await this.list(accountId)).map((r) => r.jid));
  }

  /** Inserts or replaces the row (idempotent). */
  async save(accountId: string, r: RoomRow): Promise<void> {
    if (toBigInt(accountId) === null) throw new TypeError('invalid account id');
    await this.db.pool.query(
      `INSERT INTO "Room" ("accountId", jid, nick, name, subject, "subjectBy", joined, bookmarked, autojoin, "lastError", "updatedAt")
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now()
       WHERE EXISTS (SELECT 1 FROM "Room" WHERE "accountId" = $1 AND jid = $2)
          OR (SELECT count(*) FROM "Room" WHERE "accountId" = $1) < $11
       ON CONFLICT ("accountId", jid) DO UPDATE SET nick = EXCLUDED.nick, name = EXCLUDED.name, subject = EXCLUDED.subject,
         "subjectBy" = EXCLUDED."subjectBy", joined = EXCLUDED.joined, bookmarked = EXCLUDED.bookmarked, autojoin = EXCLUDED.autojoin,
         "lastError" = EXCLUDED."lastError", "updatedAt" = now()`,
      [accountId, r.jid, r.nick, r.name, r.subject, r.subjectBy, r.joined, r.bookmarked, r.autojoin, r.lastError ? JSON.stringify(r.lastError) : null, MAX_ROOMS_PER_ACCOUNT],
    );
  }

  async remove(accountId: string, jid: string): Promise<void> {
    if (toBigInt(accountId) === null) return;
    await this.db.pool.query(`DELETE FROM "Room" WHERE "accountId" = $1 AND jid = $2`, [accountId, jid]);
  }
}
