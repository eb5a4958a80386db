/** The lease SQL (server/store/leases.ts) and the keeper's fencing against a real PostgreSQL (fresh database, migrated). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { until } from '../harness/poll.js';
import { openDatabase, type Database } from '../../server/store/db.js';
import { LeaseStore } from '../../server/store/leases.js';
import { AccountStore } from '../../server/store/accounts.js';
import { LeaseKeeper } from '../../server/cluster/lease-keeper.js';
import { createLogger } from '../../server/app/logger.js';

let testDb: TestDatabase;
let db: Database;
let leases: LeaseStore;
let accounts: AccountStore;

before(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
  leases = new LeaseStore(db);
  accounts = new AccountStore(db);
});
after(async () => {
  await db?.close();
  await testDb?.drop();
});

let n = 0;
const jid = () => `lease${++n}@example.test`;
/** Makes a lease expire now, as if its owner had stopped renewing TTL ago. */
const expire = (j: string) => db.pool.query(`UPDATE "SessionLease" SET "expiresAt" = now() - interval '1 millisecond' WHERE jid = $1`, [j]);

test('a lease is taken once: a second node is refused while it is live, and takes it over (new epoch) once it expired', async () => {
  const j = jid();
  const a = await leases.claim(j, 'node-a', 60_000, 1000);
  assert.deepEqual(a, { ok: true, epoch: '1' });
  assert.deepEqual(await leases.claim(j, 'node-b', 60_000, 1000), { ok: false, reason: 'held', node: 'node-a' });
  // The owner taking it again keeps the epoch (a second login of the same account).
  assert.deepEqual(await leases.claim(j, 'node-a', 60_000, 1000), { ok: true, epoch: '1' });
  await expire(j);
  assert.equal(await leases.holder(j), null);
  assert.deepEqual(await leases.claim(j, 'node-b', 60_000, 1000), { ok: true, epoch: '2' });
  assert.equal((await leases.holder(j))?.node, 'node-b');
});

test('a claim race between ten nodes for one expired lease has exactly one winner', async () => {
  const j = jid();
  await leases.claim(j, 'old', 60_000, 1000);
  await expire(j);
  const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => leases.claim(j, `racer-${i}`, 60_000, 1000)));
  const winners = claims.filter((c) => c.ok);
  assert.equal(winners.length, 1);
  const holder = await leases.holder(j);
  assert.ok(holder && holder.node.startsWith('racer-'));
  for (const c of claims) if (!c.ok) assert.deepEqual(c, { ok: false, reason: 'held', node: holder.node });
});

test('renewal is one statement for all of a node\'s leases, at their epoch; a lease taken over is missing from its answer', async () => {
  const [j1, j2, j3] = [jid(), jid(), jid()];
  const e1 = await leases.claim(j1, 'renewer', 1000, 1000);
  const e2 = await leases.claim(j2, 'renewer', 1000, 1000);
  const e3 = await leases.claim(j3, 'renewer', 1000, 1000);
  assert.ok(e1.ok && e2.ok && e3.ok);
  await expire(j3);
  await leases.claim(j3, 'thief', 60_000, 1000);
  const renewed = await leases.renew('renewer', [{ jid: j1, epoch: e1.epoch }, { jid: j2, epoch: e2.epoch }, { jid: j3, epoch: e3.epoch }], 60_000, true);
  assert.deepEqual([...renewed].sort(), [j1, j2].sort());
  const { rows } = await db.pool.query<{ ms: number }>(`SELECT extract(epoch FROM "expiresAt" - now()) * 1000 AS ms FROM "SessionLease" WHERE jid = $1`, [j1]);
  assert.ok(Number(rows[0]!.ms) > 50_000, 'renewed for the TTL');
  assert.equal((await leases.holder(j3))?.node, 'thief');
  // The heartbeat rides along.
  const nodes = await leases.nodesAlive(10_000);
  assert.deepEqual(nodes.find((x) => x.node === 'renewer') && { redisOk: nodes.find((x) => x.node === 'renewer')!.redisOk }, { redisOk: true });
});

test('PARLEY_MAX_SESSIONS counts the live leases of every node', async () => {
  await db.pool.query(`DELETE FROM "SessionLease"`);
  assert.equal((await leases.claim(jid(), 'cap-a', 60_000, 2)).ok, true);
  assert.equal((await leases.claim(jid(), 'cap-b', 60_000, 2)).ok, true);
  assert.deepEqual(await leases.claim(jid(), 'cap-c', 60_000, 2), { ok: false, reason: 'capacity' });
  assert.equal(await leases.liveCount(), 2);
  // Concurrent claims for the last places: the count never goes past the limit.
  await db.pool.query(`DELETE FROM "SessionLease"`);
  const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => leases.claim(`burst${i}@example.test`, `burst-${i % 3}`, 60_000, 5)));
  assert.equal(burst.filter((c) => c.ok).length, 5);
  assert.equal(await leases.liveCount(), 5);
});

test('release: a hand-over leaves the lease expired for the takeover loop (only with sealed credentials); a logout deletes it', async () => {
  await db.pool.query(`DELETE FROM "SessionLease"`);
  const [kept, gone, noKeys] = [jid(), jid(), jid()];
  for (const j of [kept, gone, noKeys]) await leases.claim(j, 'leaver', 60_000, 1000);
  const withKeys = await accounts.upsert(kept);
  await accounts.setCredential(withKeys.id, Buffer.from('sealed'));
  await accounts.upsert(noKeys);
  await leases.release(kept, 'leaver', true);
  await leases.release(noKeys, 'leaver', true);
  await leases.release(gone, 'leaver', false);
  await leases.release(kept, 'someone-else', false); // not the holder: no effect
  assert.deepEqual(await leases.orphaned(100), [withKeys.id]);
  const { rows } = await db.pool.query<{ jid: string }>(`SELECT jid FROM "SessionLease" ORDER BY jid`);
  assert.deepEqual(rows.map((r) => r.jid).sort(), [kept, noKeys].sort());
});

test('fencing: a keeper that cannot renew (database unreachable) gives up its sessions before the lease expires', async () => {
  const lost: { jids: string[]; at: number }[] = [];
  let failing = false;
  const flaky = new LeaseStore(db);
  const renew = flaky.renew.bind(flaky);
  flaky.renew = async (...args) => {
    if (failing) throw new Error('connect ECONNREFUSED (test)');
    return renew(...args);
  };
  const ttlMs = 1200;
  const keeper = new LeaseKeeper({ leases: flaky, node: 'fenced-node', ttlMs, maxSessions: () => 1000, redisOk: () => null, fenceOnSilence: true, log: createLogger('silent'), onLost: (jids) => lost.push({ jids, at: Date.now() }) });
  const j = jid();
  assert.equal((await keeper.claim(j)).ok, true);
  keeper.start();
  try {
    // Renewals keep it alive past several TTLs.
    await new Promise((r) => setTimeout(r, ttlMs * 2));
    assert.deepEqual(lost, []);
    assert.ok(await leases.holder(j));
    failing = true;
    const failedAt = Date.now();
    await until(async () => lost.length > 0, 'the keeper fenced its session', 5000, 20);
    const first = (lost as { jids: string[]; at: number }[])[0]!;
    assert.deepEqual(first.jids, [j]);
    // Fenced before the lease expired on the database's clock: no moment with two owners.
    assert.ok(await leases.holder(j), 'the lease was still live when the session was given up');
    assert.ok(first.at - failedAt <= ttlMs, `fenced within the TTL (${first.at - failedAt} ms)`);
    assert.equal(keeper.holds(j), false);
  } finally {
    keeper.stop();
  }
});

test('a keeper whose lease was taken over (after a pause) learns it at the next renewal and fences that session only', async () => {
  const lost: string[][] = [];
  const keeper = new LeaseKeeper({ leases, node: 'paused-node', ttlMs: 60_000, maxSessions: () => 1000, redisOk: () => null, fenceOnSilence: true, log: createLogger('silent'), onLost: (jids) => lost.push(jids) });
  const [stays, stolen] = [jid(), jid()];
  await keeper.claim(stays);
  await keeper.claim(stolen);
  await expire(stolen);
  assert.equal((await leases.claim(stolen, 'other-node', 60_000, 1000)).ok, true);
  await keeper.renew();
  assert.deepEqual(lost, [[stolen]]);
  assert.equal(keeper.holds(stays), true);
});
