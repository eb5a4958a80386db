/** Doctor checks of the database: it answers, every migration in prisma/migrations is applied, its clock agrees with ours. */
import type pg from 'pg';
import { MIGRATIONS_DIR, readMigrations } from '../store/migrate.js';
import { describeConnectError } from '../store/db.js';
import { fail, pass, withTimeout, type CheckResult } from './check.js';

export type SqlClient = Pick<pg.Pool, 'query'>;

export async function checkDatabaseReachable(db: SqlClient, url: string, timeoutMs = 5000): Promise<CheckResult> {
  const name = 'database';
  const started = performance.now();
  try {
    const { rows } = await withTimeout(db.query<{ version: string }>('SELECT version() AS version'), timeoutMs, `no answer within ${timeoutMs} ms (timeout)`);
    const version = /^PostgreSQL [\d.]+/.exec(rows[0]?.version ?? '')?.[0] ?? 'PostgreSQL';
    return pass(name, `${version} at ${where(url)} answered in ${Math.round(performance.now() - started)} ms`);
  } catch (err) {
    const described = describeConnectError(err, url);
    const [problem, hint] = described.message.split(' — ');
    return fail(name, problem ?? described.message, hint ?? 'check DATABASE_URL and that the server accepts connections');
  }
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

const MIGRATE_FIX = 'start Parley once (it applies pending migrations at start-up) or run `npx prisma migrate deploy`';

/** Compares prisma/migrations with Prisma's `_prisma_migrations` table. */
export async function checkMigrations(db: SqlClient, dir = MIGRATIONS_DIR): Promise<CheckResult> {
  const name = 'migrations';
  const files = await readMigrations(dir);
  let applied: AppliedRow[];
  try {
    applied = (await db.query<AppliedRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"')).rows;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return fail(name, `none of the ${files.length} migrations is applied (no _prisma_migrations table)`, MIGRATE_FIX);
    throw err;
  }
  const done = new Map(applied.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => [r.migration_name, r]));
  const failed = applied.filter((r) => !r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);
  if (failed.length) {
    return fail(name, `failed migration recorded: ${failed.join(', ')}`, 'fix the cause (see its "logs" column in _prisma_migrations), then `npx prisma migrate resolve --rolled-back <name>` and restart Parley');
  }
  const pending = files.filter((f) => !done.has(f.name)).map((f) => f.name);
  if (pending.length) return fail(name, `${pending.length} of ${files.length} not applied: ${pending.join(', ')}`, MIGRATE_FIX);
  const changed = files.filter((f) => done.get(f.name)!.checksum !== f.checksum).map((f) => f.name);
  if (changed.length) {
    return fail(name, `applied migrations whose files have changed since: ${changed.join(', ')}`, 'restore these migration.sql files from the release you installed (never edit an applied migration)');
  }
  const known = new Set(files.map((f) => f.name));
  const unknown = [...done.keys()].filter((n) => !known.has(n));
  if (unknown.length) {
    return fail(name, `the database has migrations this Parley does not know: ${unknown.join(', ')}`, 'this installation is older than the database: install the newer Parley release that created them');
  }
  return pass(name, `all ${files.length} applied (latest ${files.at(-1)?.name ?? '-'})`);
}

/** Difference between the database server's clock and ours, in ms (positive: the database is ahead). */
export async function databaseClockSkew(db: SqlClient): Promise<number> {
  const before = Date.now();
  const { rows } = await db.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  const after = Date.now();
  return rows[0]!.now.getTime() - (before + after) / 2;
}

export function judgeSkew(name: string, what: string, skewMs: number, toleranceMs: number): CheckResult {
  const seconds = (skewMs / 1000).toFixed(1);
  const text = `${what} is ${skewMs >= 0 ? '+' : ''}${seconds} s from this machine's clock`;
  if (Math.abs(skewMs) <= toleranceMs) return pass(name, text);
  return fail(name, text, `synchronise the clocks with NTP (e.g. \`timedatectl set-ntp true\` on both machines); more than ${toleranceMs / 1000} s breaks message order and expiry times`);
}

export async function checkDatabaseClock(db: SqlClient, toleranceMs = 5000): Promise<CheckResult> {
  return judgeSkew('clock: database', 'the database clock', await databaseClockSkew(db), toleranceMs);
}

/** host:port/database of a URL, without user or password. */
export function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured database';
  }
}
