/** Migration runner, openDatabase and embedded mode against real PostgreSQL. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, cp, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { applyMigrations, readMigrations, sha256, MIGRATIONS_DIR, MigrationError } from '../../server/store/migrate.js';
import { openDatabase, DatabaseUnavailableError } from '../../server/store/db.js';
import { freePort } from '../../server/store/embedded.js';

const cleanup: (() => Promise<unknown>)[] = [];
let tearingDown = false;
after(async () => {
  tearingDown = true;
  for (const c of cleanup.reverse()) await c().catch((e: unknown) => console.error(e));
});

/**
 * A pool whose idle clients may be cut by the database drop at teardown: pg's pool.end() resolves before its
 * clients' sockets have closed, so the drop's pg_terminate_backend can still reach one (seen on a loaded machine).
 * During the tests such an error stays fatal.
 */
function testPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', (err) => {
    if (!tearingDown) throw err;
  });
  return pool;
}

async function freshDb(): Promise<{ db: TestDatabase; pool: pg.Pool }> {
  const db = await createTestDatabase();
  const pool = testPool(db.url, 4);
  cleanup.push(() => db.drop(), () => pool.end());
  return { db, pool };
}

test('migrations apply once, are recorded like Prisma does, and a second run does nothing', async () => {
  const { pool } = await freshDb();
  const files = await readMigrations();
  assert.ok(files.length >= 1);
  const first = await applyMigrations(pool);
  assert.deepEqual(first.applied, files.map((f) => f.name));
  const second = await applyMigrations(pool);
  assert.deepEqual(second.applied, []);

  const { rows } = await pool.query('SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
  assert.equal(rows.length, files.length);
  for (const [i, row] of rows.entries()) {
    const raw = await readFile(path.join(MIGRATIONS_DIR, files[i]!.name, 'migration.sql'));
    assert.equal(row.migration_name, files[i]!.name);
    assert.equal(row.checksum, sha256(raw.toString('utf8')));
    assert.match(row.id, /^[0-9a-f-]{36}$/);
    assert.ok(row.finished_at instanceof Date);
    assert.equal(row.rolled_back_at, null);
    assert.equal(row.applied_steps_count, 1);
  }
  const tables = await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
  assert.deepEqual(tables.rows.map((r) => r.tablename), ['Account', 'BrowserSession', 'ClusterNode', 'Contact', 'ConversationMute', 'DeletedConversation', 'DeletedMessage', 'Message', 'MessageVersion', 'OmemoDevice', 'Reaction', 'Room', 'SessionLease', '_prisma_migrations']);
  const indexes = await pool.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'Message' ORDER BY indexname`);
  assert.deepEqual(indexes.rows.map((r) => r.indexname), [
    'Message_accountId_peer_messageId_idx',
    'Message_accountId_peer_originId_direction_originSender_key',
    'Message_accountId_peer_stamp_id_idx',
    'Message_accountId_peer_stanzaId_key',
    'Message_accountId_stamp_id_idx',
    'Message_accountId_state_peer_idx',
    'Message_pkey',
    'Message_search_idx',
  ]);
});

test('concurrent runners (several processes starting at once) apply each migration exactly once', async () => {
  const { db } = await freshDb();
  const pools = Array.from({ length: 4 }, () => testPool(db.url, 1));
  cleanup.push(() => Promise.all(pools.map((p) => p.end())));
  const results = await Promise.all(pools.map((p) => applyMigrations(p)));
  const files = await readMigrations();
  assert.deepEqual(results.flatMap((r) => r.applied).sort(), files.map((f) => f.name).sort());
  const { rows } = await pools[0]!.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
  assert.equal(rows[0].n, files.length);
});

test('a migration changed after it was applied is refused with a clear error', async () => {
  const { pool } = await freshDb();
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-migrations-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  await applyMigrations(pool, { dir });
  const first = (await readMigrations(dir))[0]!;
  await appendFile(path.join(dir, first.name, 'migration.sql'), '\n-- edited later\n');
  await assert.rejects(applyMigrations(pool, { dir }), (err: Error) => {
    assert.ok(err instanceof MigrationError);
    assert.match(err.message, /refusing to start/);
    assert.ok(err.message.includes(`${first.name}/migration.sql`), err.message);
    return true;
  });
});

test('a failing new migration is rolled back completely and not recorded', async () => {
  const { pool } = await freshDb();
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-migrations-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  await applyMigrations(pool, { dir });
  await cp(path.join(dir, (await readMigrations(dir))[0]!.name), path.join(dir, '99990101000000_broken'), { recursive: true });
  await writeFile(path.join(dir, '99990101000000_broken', 'migration.sql'), 'CREATE TABLE "Half" (id int);\nSELECT no_such_function();\n');
  await assert.rejects(applyMigrations(pool, { dir }), /99990101000000_broken failed and was rolled back/);
  const half = await pool.query(`SELECT to_regclass('"Half"') AS t`);
  assert.equal(half.rows[0].t, null);
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name = '99990101000000_broken'`);
  assert.equal(rows[0].n, 0);
});

test('openDatabase on an unreachable URL fails with host, port and what to check', async () => {
  const port = await freePort();
  await assert.rejects(openDatabase({ url: `postgres://parley:secret-pw@127.0.0.1:${port}/parley` }), (err: Error) => {
    assert.ok(err instanceof DatabaseUnavailableError, String(err));
    assert.ok(err.message.includes(`127.0.0.1:${port}`), err.message);
    assert.match(err.message, /is PostgreSQL running/);
    assert.ok(!err.message.includes('secret-pw'));
    return true;
  });
});

test('openDatabase names a missing database', async () => {
  const { db } = await freshDb();
  const u = new URL(db.url);
  u.pathname = '/parley_no_such_database';
  await assert.rejects(openDatabase({ url: u.toString() }), /database "parley_no_such_database" does not exist/);
});

test('openDatabase with a URL migrates and gives a working Prisma client on the same pool', async () => {
  const { db: testDb } = await freshDb();
  const db = await openDatabase({ url: testDb.url });
  cleanup.push(() => db.close());
  assert.equal(db.embedded, false);
  const account = await db.prisma.account.create({ data: { jid: 'prisma@example.test' } });
  assert.equal(typeof account.id, 'bigint');
  const { rows } = await db.pool.query('SELECT jid FROM "Account"');
  assert.deepEqual(rows, [{ jid: 'prisma@example.test' }]);
  await db.close();
});

test('embedded mode: initialises on first open, keeps data across a reopen, stops on close', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-embedded-'));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as user postgres and must enter this directory
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'postgres');
  const first = await openDatabase({ dataDir });
  cleanup.push(() => first.close());
  assert.equal(first.embedded, true);
  await first.pool.query(`INSERT INTO "Account" (jid) VALUES ('kept@example.test')`);
  const port = Number(new URL(first.url).port);
  await first.close();
  const probe = new pg.Client({ connectionString: first.url, connectionTimeoutMillis: 1000 });
  probe.on('error', () => undefined);
  await assert.rejects(probe.connect(), 'the embedded server is stopped after close()');

  const second = await openDatabase({ dataDir });
  cleanup.push(() => second.close());
  const { rows } = await second.pool.query('SELECT jid FROM "Account"');
  assert.deepEqual(rows, [{ jid: 'kept@example.test' }]);
  const migrations = await second.pool.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
  assert.equal(migrations.rows[0].n, (await readMigrations()).length);
  assert.ok(port > 0);
  await second.close();
});
