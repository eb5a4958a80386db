/**
 * A fresh PostgreSQL database per test file: created on the server named by PARLEY_TEST_PG_ADMIN_URL
 * (default postgres://postgres@127.0.0.1:5432/postgres), or, when nothing answers there, on an embedded
 * PostgreSQL started in a temp dir (shared by the process, stopped when its last database is dropped).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../server/store/embedded.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

interface Server {
  adminUrl: string;
  urlFor(name: string): string;
  release(): Promise<void>;
}

let embedded: { server: EmbeddedServer; dir: string; users: number } | null = null;
let embeddedStarting: Promise<EmbeddedServer> | null = null;

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function server(): Promise<Server> {
  const adminUrl = process.env.PARLEY_TEST_PG_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  if (!embedded && (await reachable(adminUrl))) {
    return {
      adminUrl,
      urlFor: (name) => {
        const u = new URL(adminUrl);
        u.pathname = `/${name}`;
        return u.toString();
      },
      release: async () => undefined,
    };
  }
  embeddedStarting ??= (async () => {
    process.stderr.write(`[test/harness/postgres] nothing answers at ${adminUrl.replace(/:[^:@/]*@/, ':***@')}: starting embedded PostgreSQL\n`);
    const dir = await mkdtemp(path.join(tmpdir(), 'parley-test-pg-'));
    await chmod(dir, 0o755); // as root, PostgreSQL runs as user postgres and must enter this directory
    const srv = await startEmbeddedPostgres(path.join(dir, 'data'));
    embedded = { server: srv, dir, users: 0 };
    return srv;
  })();
  const srv = await embeddedStarting;
  embedded!.users++;
  return {
    adminUrl: srv.url('postgres'),
    urlFor: (name) => srv.url(name),
    release: async () => {
      if (!embedded || --embedded.users > 0) return;
      const { server: s, dir } = embedded;
      embedded = null;
      embeddedStarting = null;
      await s.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const srv = await server();
  const name = `parley_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(srv.adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  let dropped: Promise<void> | null = null;
  return {
    url: srv.urlFor(name),
    drop: () =>
      (dropped ??= (async () => {
        await admin(srv.adminUrl, async (c) => {
          await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
          await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        });
        await srv.release();
      })()),
  };
}
