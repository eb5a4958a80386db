/**
 * Who is an admin: the bare JIDs in PARLEY_ADMINS, plus accounts promoted with `npm run admin -- promote JID`
 * (the "isAdmin" column of "Account"). Raw SQL on the pool, so the flag works whatever Prisma client is generated.
 */
import type { SqlClient } from './check-database.js';

export class AdminDirectory {
  constructor(
    private readonly db: SqlClient,
    private readonly configured: readonly string[],
  ) {}

  /** Listed in PARLEY_ADMINS (cannot be demoted here). */
  isConfigured(jid: string): boolean {
    return this.configured.includes(jid.toLowerCase());
  }

  async isAdmin(jid: string): Promise<boolean> {
    if (this.isConfigured(jid)) return true;
    const { rows } = await this.db.query<{ isAdmin: boolean }>('SELECT "isAdmin" FROM "Account" WHERE jid = $1', [jid.toLowerCase()]);
    return rows[0]?.isAdmin === true;
  }

  async isAdminAccount(accountId: string): Promise<{ jid: string; admin: boolean } | null> {
    if (!/^[0-9]{1,19}$/.test(accountId)) return null;
    const { rows } = await this.db.query<{ jid: string; isAdmin: boolean }>('SELECT jid, "isAdmin" FROM "Account" WHERE id = $1::bigint', [accountId]);
    const row = rows[0];
    return row ? { jid: row.jid, admin: row.isAdmin || this.isConfigured(row.jid) } : null;
  }

  /** Promotes an account, creating its row if it never logged in yet. */
  async promote(jid: string): Promise<void> {
    await this.db.query(
      `INSERT INTO "Account" (jid, "isAdmin") VALUES ($1, true) ON CONFLICT (jid) DO UPDATE SET "isAdmin" = true`,
      [jid.toLowerCase()],
    );
  }

  /** Returns false when there was no such promoted account. */
  async demote(jid: string): Promise<boolean> {
    const res = await this.db.query('UPDATE "Account" SET "isAdmin" = false WHERE jid = $1 AND "isAdmin"', [jid.toLowerCase()]);
    return (res.rowCount ?? 0) > 0;
  }

  /** Every admin with where the right comes from. */
  async list(): Promise<{ jid: string; source: 'PARLEY_ADMINS' | 'promoted' }[]> {
    const { rows } = await this.db.query<{ jid: string }>('SELECT jid FROM "Account" WHERE "isAdmin" ORDER BY jid');
    const fromConfig = this.configured.map((jid) => ({ jid, source: 'PARLEY_ADMINS' as const }));
    return [...fromConfig, ...rows.filter((r) => !this.isConfigured(r.jid)).map((r) => ({ jid: r.jid, source: 'promoted' as const }))];
  }
}

/** A bare JID as the CLI accepts it. */
export function parseBareJid(input: string | undefined): string | null {
  const jid = input?.trim().toLowerCase() ?? '';
  return /^[^@\s/]+@[a-z0-9.-]+$/.test(jid) ? jid : null;
}
