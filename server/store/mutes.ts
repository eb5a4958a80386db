/** Per-conversation mute (no notifications; unread still counted), stored per account so every tab agrees. */
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';

export class MuteStore {
  constructor(private readonly db: Database) {}

  async list(accountId: string): Promise<string[]> {
    if (toBigInt(accountId) === null) return [];
    const { rows } = await this.db.pool.query<{ peer: string }>(`SELECT peer FROM "ConversationMute" WHERE "accountId" = $1 ORDER BY peer`, [accountId]);
    return rows.map((r) => r.peer);
  }

  /** Idempotent. */
  async set(accountId: string, peer: string, muted: boolean): Promise<void> {
    if (toBigInt(accountId) === null) throw new TypeError('invalid account id');
    if (muted) {
      await this.db.pool.query(`INSERT INTO "ConversationMute" ("accountId", peer) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [accountId, peer]);
    } else {
      await this.db.pool.query(`DELETE FROM "ConversationMute" WHERE "accountId" = $1 AND peer = $2`, [accountId, peer]);
    }
  }
}
