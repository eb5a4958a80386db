/** Accounts: one row per bare JID that ever logged in, with the sealed SCRAM keys that allow re-login. */
import type { Database } from './db.js';
import type { Account } from '../../generated/prisma/client.js';

export interface AccountRow {
  /** bigint as a decimal string. */
  id: string;
  /** Bare JID as the caller gave it (callers pass it lower-case). */
  jid: string;
  createdAt: Date;
  lastLoginAt: Date | null;
  /** Sealed SCRAM keys; opaque here (CredentialVault seals and opens them). */
  credential: Buffer | null;
  credentialUpdatedAt: Date | null;
}

export class AccountStore {
  constructor(private readonly db: Database) {}

  /** Returns the account of `jid`, creating it on first login. Safe when two logins race (one row). */
  async upsert(jid: string): Promise<AccountRow> {
    // INSERT … ON CONFLICT rather than find-then-create: concurrent first logins would otherwise collide.
    const { rows } = await this.db.pool.query<RawAccount>(
      `INSERT INTO "Account" (jid) VALUES ($1) ON CONFLICT (jid) DO UPDATE SET jid = EXCLUDED.jid RETURNING *`,
      [jid],
    );
    return fromRaw(rows[0]!);
  }

  async byJid(jid: string): Promise<AccountRow | null> {
    const row = await this.db.prisma.account.findUnique({ where: { jid } });
    return row ? toRow(row) : null;
  }

  /** upsert + touchLogin in one statement: a login (or a restore) asks the database once. */
  async upsertLoggedIn(jid: string): Promise<AccountRow> {
    const { rows } = await this.db.pool.query<RawAccount>(
      `INSERT INTO "Account" (jid, "lastLoginAt") VALUES ($1, $2) ON CONFLICT (jid) DO UPDATE SET "lastLoginAt" = EXCLUDED."lastLoginAt" RETURNING *`,
      [jid, new Date()],
    );
    return fromRaw(rows[0]!);
  }

  async byId(id: string): Promise<AccountRow | null> {
    const key = toBigInt(id);
    if (key === null) return null;
    // Raw SQL: every restore and password check asks this; Prisma's own cost was most of it.
    const { rows } = await this.db.pool.query<RawAccount>(`SELECT * FROM "Account" WHERE id = $1`, [key.toString()]);
    return rows[0] ? fromRaw(rows[0]) : null;
  }

  /** Stores (or, with null, forgets) the sealed credential. */
  async setCredential(id: string, blob: Buffer | null): Promise<void> {
    const key = toBigInt(id);
    if (key === null) return;
    await this.db.prisma.account.updateMany({
      where: { id: key },
      data: { credential: blob === null ? null : new Uint8Array(blob), credentialUpdatedAt: blob === null ? null : new Date() },
    });
  }

  /** Accounts whose sessions can be restored at start-up. */
  async listWithCredentials(): Promise<AccountRow[]> {
    const rows = await this.db.prisma.account.findMany({ where: { credential: { not: null } }, orderBy: { id: 'asc' } });
    return rows.map(toRow);
  }

  /**
   * Deletes the account and everything Parley keeps for it: its contacts, messages, OMEMO device rows and browser
   * sessions go with it (every foreign key to Account is ON DELETE CASCADE). Returns whether a row was deleted.
   */
  async delete(id: string): Promise<boolean> {
    const key = toBigInt(id);
    if (key === null) return false;
    const r = await this.db.pool.query(`DELETE FROM "Account" WHERE id = $1`, [key.toString()]);
    return (r.rowCount ?? 0) > 0;
  }

  async touchLogin(id: string): Promise<void> {
    const key = toBigInt(id);
    if (key === null) return;
    await this.db.prisma.account.updateMany({ where: { id: key }, data: { lastLoginAt: new Date() } });
  }
}

interface RawAccount {
  id: string;
  jid: string;
  createdAt: Date;
  lastLoginAt: Date | null;
  credential: Buffer | null;
  credentialUpdatedAt: Date | null;
}

/** The same fields as toRow: columns added by other concerns (e.g. isAdmin, read by server/ops) stay out of AccountRow. */
function fromRaw(r: RawAccount): AccountRow {
  return {
    id: String(r.id),
    jid: r.jid,
    createdAt: r.createdAt,
    lastLoginAt: r.lastLoginAt,
    credential: r.credential,
    credentialUpdatedAt: r.credentialUpdatedAt,
  };
}

function toRow(a: Account): AccountRow {
  return {
    id: a.id.toString(),
    jid: a.jid,
    createdAt: a.createdAt,
    lastLoginAt: a.lastLoginAt,
    credential: a.credential ? Buffer.from(a.credential) : null,
    credentialUpdatedAt: a.credentialUpdatedAt,
  };
}

/** Ids come from cookies and socket commands too: anything but a decimal bigint matches nothing. */
export function toBigInt(id: string): bigint | null {
  return /^[0-9]{1,19}$/.test(id) && BigInt(id) <= 9223372036854775807n ? BigInt(id) : null;
}
