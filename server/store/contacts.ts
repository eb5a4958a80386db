/** Roster mirror (RFC 6121): replaced on every roster fetch, kept current by roster pushes. */
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';

export type Subscription = 'none' | 'to' | 'from' | 'both' | 'remove';

export interface ContactInput {
  jid: string;
  name: string | null;
  subscription: Subscription;
  ask: boolean;
  groups: string[];
}

export interface ContactRow extends ContactInput {
  updatedAt: Date;
}

const COLUMNS = `jid, name, subscription, ask, groups, "updatedAt"`;

export class ContactStore {
  constructor(private readonly db: Database) {}

  /**
   * The server sent the whole roster: afterwards the table holds exactly these contacts, and `ver` (RFC 6121 §2.6)
   * is the version they are. One transaction: a stored version never describes other rows than the stored ones.
   */
  async replaceAll(accountId: string, contacts: ContactInput[], ver: string | null = null): Promise<void> {
    if (toBigInt(accountId) === null) return;
    const items = dedupe(contacts.filter((c) => c.subscription !== 'remove'));
    await this.transaction(async (client) => {
      await client.query(`DELETE FROM "Contact" WHERE "accountId" = $1 AND NOT (jid = ANY($2::text[]))`, [accountId, items.map((c) => c.jid)]);
      for (let i = 0; i < items.length; i += 1000) await upsertMany(client, accountId, items.slice(i, i + 1000));
      await setVersion(client, accountId, ver);
    });
  }

  /** A roster push added, changed or removed one contact; `ver` is the version it brings (null: unknown). */
  async applyPush(accountId: string, contact: ContactInput, ver: string | null): Promise<void> {
    if (toBigInt(accountId) === null) return;
    await this.transaction(async (client) => {
      if (contact.subscription === 'remove') {
        await client.query(`DELETE FROM "Contact" WHERE "accountId" = $1 AND jid = $2`, [accountId, contact.jid]);
      } else {
        await upsertMany(client, accountId, [contact]);
      }
      await setVersion(client, accountId, ver);
    });
  }

  /** The roster version the stored contacts match, or null. */
  async version(accountId: string): Promise<string | null> {
    if (toBigInt(accountId) === null) return null;
    const { rows } = await this.db.pool.query<{ rosterVer: string | null }>(`SELECT "rosterVer" FROM "Account" WHERE id = $1`, [accountId]);
    return rows[0]?.rosterVer ?? null;
  }

  /** A roster push added or changed one contact. */
  async upsert(accountId: string, contact: ContactInput): Promise<void> {
    if (toBigInt(accountId) === null) return;
    if (contact.subscription === 'remove') return this.remove(accountId, contact.jid);
    await upsertMany(this.db.pool, accountId, [contact]);
  }

  private async transaction(work: (client: import('pg').PoolClient) => Promise<void>): Promise<void> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async remove(accountId: string, jid: string): Promise<void> {
    if (toBigInt(accountId) === null) return;
    await this.db.pool.query(`DELETE FROM "Contact" WHERE "accountId" = $1 AND jid = $2`, [accountId, jid]);
  }

  async list(accountId: string): Promise<ContactRow[]> {
    if (toBigInt(accountId) === null) return [];
    const { rows } = await this.db.pool.query<ContactRow>(`SELECT ${COLUMNS} FROM "Contact" WHERE "accountId" = $1 ORDER BY jid`, [accountId]);
    return rows.map((r) => ({ ...r, groups: r.groups ?? [] }));
  }
}

type Queryable = Pick<import('pg').Pool, 'query'>;

async function upsertMany(q: Queryable, accountId: string, items: ContactInput[]): Promise<void> {
  if (!items.length) return;
  const values: unknown[] = [accountId];
  const tuples = items.map((c) => {
    const o = values.length;
    values.push(c.jid, c.name, c.subscription, c.ask, c.groups);
    return `($1, $${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}::text[], now())`;
  });
  await q.query(
    `INSERT INTO "Contact" ("accountId", ${COLUMNS}) VALUES ${tuples.join(', ')}
     ON CONFLICT ("accountId", jid) DO UPDATE SET name = EXCLUDED.name, subscription = EXCLUDED.subscription,
       ask = EXCLUDED.ask, groups = EXCLUDED.groups, "updatedAt" = now()`,
    values,
  );
}

async function setVersion(q: Queryable, accountId: string, ver: string | null): Promise<void> {
  await q.query(`UPDATE "Account" SET "rosterVer" = $2 WHERE id = $1`, [accountId, ver]);
}

/** One statement cannot update the same row twice: the last item for a JID wins. */
function dedupe(items: ContactInput[]): ContactInput[] {
  return [...new Map(items.map((c) => [c.jid, c])).values()];
}
