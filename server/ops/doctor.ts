/**
 * The doctor: every check of an installation, in the order a person would fix things (configuration, database,
 * public URL and its WebSocket, clocks, XMPP domains). Used by `npm run doctor` and by the admin page.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../app/config.js';
import { fail, guarded, pass, type CheckResult } from './check.js';
import { checkDatabaseClock, checkDatabaseReachable, checkMigrations, type SqlClient } from './check-database.js';
import { checkHttpClock, checkWebsocketUpgrade, probePublicUrl } from './check-http.js';
import { checkXmppDomain, xmppDomainsToCheck, type SrvResolver } from './check-xmpp.js';

export interface DoctorOptions {
  config: Config;
  /** An open connection pool (the running instance's); without it `openDoctorDatabase` is used. */
  db?: { client: SqlClient; url: string };
  timeoutMs?: number;
  resolver?: SrvResolver;
  migrationsDir?: string;
}

export async function runDoctor(opts: DoctorOptions): Promise<CheckResult[]> {
  const { config } = opts;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const results: CheckResult[] = [pass('configuration', `valid; public URL ${config.publicUrl.href}, listening on ${config.host}:${config.port}`)];

  const opened = opts.db ? { ...opts.db, close: async () => undefined } : await openDoctorDatabase(config);
  try {
    if ('ok' in opened) results.push(opened);
    else {
      const reachable = await checkDatabaseReachable(opened.client, opened.url, timeoutMs);
      results.push(reachable);
      if (reachable.ok) {
        results.push(...(await guarded('migrations', () => checkMigrations(opened.client, opts.migrationsDir))));
        results.push(...(await guarded('clock: database', () => checkDatabaseClock(opened.client))));
      }
    }
  } finally {
    if (!('ok' in opened)) await opened.close();
  }

  const [publicUrl, websocket] = await Promise.all([probePublicUrl(config.publicUrl, timeoutMs), checkWebsocketUpgrade(config.publicUrl, timeoutMs)]);
  results.push(publicUrl.result, websocket, checkHttpClock(publicUrl.clock));

  const domains = xmppDomainsToCheck(config.xmpp);
  if (domains.length === 0) results.push(pass('xmpp', 'any domain may log in (PARLEY_XMPP_DOMAINS=*): no domain to check'));
  const xmpp = await Promise.all(
    domains.map((domain) =>
      guarded(`xmpp ${domain}`, () =>
        checkXmppDomain(domain, { service: config.xmpp.services[domain], resolver: opts.resolver, requireTls: config.xmpp.requireTls, timeoutMs }),
      ),
    ),
  );
  results.push(...xmpp.flat());
  return results;
}

/**
 * A pool on the configured database for a doctor running outside Parley. Without DATABASE_URL Parley runs an
 * embedded PostgreSQL on a port chosen at start: it is found in its postmaster.pid, so only while Parley runs.
 */
export async function openDoctorDatabase(config: Config): Promise<{ client: SqlClient; url: string; close(): Promise<void> } | CheckResult> {
  let url = config.databaseUrl;
  if (!url) {
    const pidFile = path.join(config.dataDir, 'postgres', 'postmaster.pid');
    const port = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[3]);
    if (!port) {
      return fail('database', `embedded PostgreSQL (no DATABASE_URL) is not running: no ${pidFile}`, 'start Parley first (it runs the embedded database), or set DATABASE_URL to an external PostgreSQL');
    }
    url = `postgres://postgres:postgres@127.0.0.1:${port}/parley`;
  }
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined);
  return { client: pool, url, close: () => pool.end().catch(() => undefined) };
}
