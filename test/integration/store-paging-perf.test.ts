/** page(limit 50): the newest page of a 100,000-message conversation costs about what a 10-message one does. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { openDatabase, type Database } from '../../server/store/db.js';
import { AccountStore } from '../../server/store/accounts.js';
import { MessageStore, type NewMessage } from '../../server/store/messages.js';

let testDb: TestDatabase;
let db: Database;

before(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
});
after(async () => {
  await db?.close();
  await testDb?.drop();
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

test('newest 50 of 100,000 vs of 10 messages', { timeout: 180_000 }, async (t) => {
  const acc = await new AccountStore(db).upsert('perf@example.test');
  const messages = new MessageStore(db);
  const start = Date.now() - 200_000_000;
  const make = (peer: string, n: number): NewMessage[] =>
    Array.from({ length: n }, (_, i) => ({
      accountId: acc.id, peer, direction: i % 2 ? 'in' : 'out', fromJid: peer, toJid: 'perf@example.test', type: 'chat', body: `m${i}`,
      encrypted: null, messageId: `id-${i}`, originId: `o-${i}`, stanzaId: `${peer}-s-${i}`, stamp: new Date(start + i * 1000), state: i % 2 ? 'received' : 'sent',
    }));
  const t0 = performance.now();
  assert.equal(await messages.bulkInsertRaw(make('big@example.test', 100_000)), 100_000);
  const insertMs = performance.now() - t0;
  await messages.bulkInsertRaw(make('small@example.test', 10));
  await db.pool.query('ANALYZE "Message"');

  const time = async (peer: string) => {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      const page = await messages.page(acc.id, peer, { limit: 50 });
      times.push(performance.now() - s);
      assert.equal(page[0]!.body, peer.startsWith('big') ? 'm99999' : 'm9');
    }
    return median(times);
  };
  await time('big@example.test'); // warm-up
  const big = await time('big@example.test');
  const small = await time('small@example.test');
  const plan = await db.pool.query(
    `EXPLAIN SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 ORDER BY stamp DESC, id DESC LIMIT 50`,
    [acc.id, 'big@example.test'],
  );
  const planText = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
  await messages.conversations(acc.id, 200); // the first read after a bulk load also sets hint bits on every row
  const convStart = performance.now();
  const convs = await messages.conversations(acc.id, 200);
  const convMs = performance.now() - convStart;
  assert.deepEqual(convs.map((c) => [c.last.peer, c.unread]), [['big@example.test', 50_000], ['small@example.test', 5]]);
  t.diagnostic(`bulk insert 100,000: ${(insertMs / 1000).toFixed(1)} s; page(50) median: 100k-conversation ${big.toFixed(2)} ms, 10-message ${small.toFixed(2)} ms; conversations() ${convMs.toFixed(1)} ms`);
  // Either index delivers the order (with one big conversation the planner may pick (accountId, stamp, id)).
  assert.match(planText, /Index Scan using "Message_accountId_(peer_)?stamp_id_idx"/, planText);
  assert.doesNotMatch(planText, /Sort/, 'no sort: the index gives the order');
  assert.ok(big < small * 3 + 2, `100k page ${big} ms vs small ${small} ms`);
});
