/**
 * Applies prisma/migrations at start-up, the way `prisma migrate deploy` would, without Prisma's native schema
 * engine (which cannot be installed everywhere). Keeps Prisma's own `_prisma_migrations` bookkeeping, so both
 * tools can be used on the same database.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

/** The advisory lock key Prisma's schema engine takes for migrations: our runner and `prisma migrate deploy` exclude each other. */
const PRISMA_ADVISORY_LOCK = 72707369;

export interface MigrationFile {
  /** Directory name, e.g. `20261123065845_init`; the apply order is the sort order of these names. */
  name: string;
  sql: string;
  /** SHA-256 (hex) of migration.sql, as Prisma records it. */
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface LogLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: sha256(sql) };
    }),
  );
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies every pending migration in name order, each in its own transaction together with its
 * `_prisma_migrations` row: a failing migration leaves no trace and is tried again at the next start.
 * Several processes may start at once: a session-level advisory lock lets one of them migrate while the others
 * wait, then find nothing to do. Refuses (MigrationError) when an applied migration's file has changed, or when
 * Prisma recorded a failed migration that nobody resolved.
 */
export async function applyMigrations(pool: pg.Pool, opts: { dir?: string; log?: LogLike } = {}): Promise<{ applied: string[] }> {
  const files = await readMigrations(opts.dir);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    try {
      await client.query(CREATE_TABLE);
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
      );
      const live = rows.filter((r) => r.rolled_back_at === null);
      const failed = live.filter((r) => r.finished_at === null);
      if (failed.length) {
        throw new MigrationError(
          `migration ${failed.map((r) => r.migration_name).join(', ')} started but never finished (recorded by another tool). ` +
            'Fix the database by hand, then mark it with `prisma migrate resolve`.',
        );
      }
      const applied = new Map(live.map((r) => [r.migration_name, r.checksum]));
      const changed = files.filter((f) => applied.has(f.name) && applied.get(f.name) !== f.checksum);
      if (changed.length) {
        throw new MigrationError(
          `refusing to start: ${changed.map((f) => `prisma/migrations/${f.name}/migration.sql`).join(', ')} changed after it was applied ` +
            '(checksum differs from _prisma_migrations). Restore the original file and put the change in a new migration.',
        );
      }
      const known = new Set(files.map((f) => f.name));
      const unknown = [...applied.keys()].filter((n) => !known.has(n));
      if (unknown.length) opts.log?.warn({ migrations: unknown }, 'database has migrations this version does not know (newer version ran here?)');

      const done: string[] = [];
      for (const file of files.filter((f) => !applied.has(f.name))) {
        await client.query('BEGIN');
        try {
          const id = randomUUID();
          await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [id, file.checksum, file.name]);
          await client.query(file.sql);
          await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new MigrationError(`migration ${file.name} failed and was rolled back: ${(err as Error).message}`, { cause: err });
        }
        opts.log?.info({ migration: file.name }, 'migration applied');
        done.push(file.name);
      }
      return { applied: done };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {
        broken = true;
      });
    }
  } catch (err) {
    if (!(err instanceof MigrationError)) broken = true;
    throw err;
  } finally {
    // A connection in an unknown state (lock maybe still held) is closed rather than returned to the pool.
    client.release(broken);
  }
}
