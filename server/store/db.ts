/**
 * Opens Parley's database: the PostgreSQL named by a URL, or an embedded one under the data directory.
 * Applies pending migrations, then hands out one pg pool shared by raw SQL and the Prisma client.
 */
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import { applyMigrations } from './migrate.js';
import { startEmbeddedPostgres } from './embedded.js';

export { PrismaClient };

export interface LogLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface Database {
  readonly prisma: PrismaClient;
  readonly pool: pg.Pool;
  readonly url: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres://… ; without it an embedded PostgreSQL is started under `dataDir`. */
  url?: string;
  /** Where the embedded PostgreSQL keeps its files (default ./data/postgres). */
  dataDir?: string;
  log?: LogLike;
  /** Pool size (default 10). */
  max?: number;
}

/** The database cannot be reached or used: the message says where and what to check. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

const EMBEDDED_DATABASE = 'parley';

export async function openDatabase(opts: OpenOptions = {}): Promise<Database> {
  const embedded = opts.url ? null : await startEmbeddedPostgres(opts.dataDir ?? './data/postgres', opts.log);
  try {
    if (embedded) await embedded.ensureDatabase(EMBEDDED_DATABASE);
    const url = opts.url ?? embedded!.url(EMBEDDED_DATABASE);
    const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
    // An idle connection dropped by the server (restart, network) must not end the process: the next query reconnects.
    pool.on('error', (err) => opts.log?.warn({ err: err.message }, 'idle PostgreSQL connection lost'));
    try {
      await pool.query('SELECT 1');
      await applyMigrations(pool, { log: opts.log });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw describeConnectError(err, url);
    }
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    let closing: Promise<void> | null = null;
    return {
      prisma,
      pool,
      url,
      embedded: !!embedded,
      close: () =>
        (closing ??= (async () => {
          await prisma.$disconnect().catch(() => undefined);
          await pool.end().catch(() => undefined);
          await embedded?.stop();
        })()),
    };
  } catch (err) {
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

/** Turns driver errors into one sentence naming the server and what to check; never shows the password. */
export function describeConnectError(err: unknown, url: string): Error {
  if (!(err instanceof Error) || err.name === 'MigrationError') return err as Error;
  let where = 'the configured PostgreSQL';
  let database = '?';
  let user = '?';
  try {
    const u = new URL(url);
    where = `PostgreSQL at ${u.hostname || 'localhost'}:${u.port || 5432}`;
    database = decodeURIComponent(u.pathname.slice(1)) || '(default)';
    user = decodeURIComponent(u.username) || '(default)';
  } catch {
    /* an unparsable URL: the driver's own message says why */
  }
  // localhost with IPv4 and IPv6 gives an AggregateError with an empty message: the first inner error says it.
  const inner = err instanceof AggregateError && err.errors[0] instanceof Error ? (err.errors[0] as Error) : err;
  const code = (inner as { code?: string }).code ?? (err as { code?: string }).code ?? '';
  const hints: Record<string, string> = {
    ECONNREFUSED: 'nothing is listening there: is PostgreSQL running, and are host and port in DATABASE_URL right?',
    ENOTFOUND: 'the host name does not resolve: check the host in DATABASE_URL',
    EAI_AGAIN: 'the host name does not resolve: check the host in DATABASE_URL and DNS',
    ETIMEDOUT: 'no answer: check the host, port and any firewall between here and the server',
    EHOSTUNREACH: 'the host is unreachable: check the host in DATABASE_URL and the network',
    '28P01': `password authentication failed for user "${user}": check the user and password in DATABASE_URL`,
    '28000': `the server refused user "${user}" (pg_hba.conf): check the user in DATABASE_URL and the server's pg_hba.conf`,
    '3D000': `database "${database}" does not exist: create it (createdb ${database}) or fix the name in DATABASE_URL`,
    '42501': `user "${user}" may not create tables in "${database}": grant it the rights or use the owner`,
  };
  const timeout = /timeout/i.test(inner.message) ? hints.ETIMEDOUT : undefined;
  const hint = hints[code] ?? timeout ?? 'check DATABASE_URL and that the server accepts connections';
  return new DatabaseUnavailableError(`cannot use ${where}, database "${database}": ${inner.message || code} — ${hint}`, { cause: err });
}
