/**
 * MessageStore's grouped writes against a real PostgreSQL: inserts (and state changes) made in one event-loop turn
 * share a statement, with exactly the results of making them one by one in call order.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { openDatabase, type Database } from '../../server/store/db.js';
import { AccountStore } from '../../server/store/accounts.js';
import { MessageStore, type NewMessage } from '../../server/store/messages.js';
import { countStatements } from '../harness/sql-count.js';

let testDb: TestDatabase;
let db: Database;
let accounts: AccountStore;
let messages: MessageStore;

before(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
  accounts = new AccountStore(db);
  messages = new MessageStore(db);
});
after(async () => {
  await db?.close();
  await testDb?.drop();
});

const BOB = 'bob@example.test';
const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
function msg(accountId: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    accountId, peer: BOB, direction: 'in', fromJid: `${BOB}/phone`, toJid: 'me@example.test/parley', type: 'chat', body: 'hi',
    encrypted: null, messageId: null, originId: null, stanzaId: null, stamp: t(0), state: 'received', ...over,
  };
}

const statements = <T>(fn: () => Promise<T>) => countStatements(db.pool, fn);

test('inserts of one turn, for several accounts, are one INSERT; duplicates inside the group and of earlier groups are found as one by one', async () => {
  const [a, b] = await Promise.all([accounts.upsert('gc-a@example.test'), accounts.upsert('gc-b@example.test')]);
  const stored = await messages.insert(msg(a.id, { originId: 'o-old', body: 'stored before' }));
  const { result, queries } = await statements(() =>
    Promise.all([
      messages.insert(msg(a.id, { stanzaId: 's1', body: 'one', stamp: t(1) })),
      messages.insert(msg(b.id, { stanzaId: 's1', body: 'same id, other account', stamp: t(1) })),
      messages.insert(msg(a.id, { stanzaId: 's1', body: 'same stanza-id again', stamp: t(2) })),
      messages.insert(msg(a.id, { originId: 'o-old', stanzaId: 's-old', body: 'the stored one, from the archive' })),
      messages.insert(msg(a.id, { body: 'no ids', stamp: t(3) })),
      messages.insert(msg(a.id, { body: 'no ids', stamp: t(3) })),
    ]),
  );
  assert.equal(queries[0], 'INSERT INTO "Message"', 'one multi-row INSERT first');
  assert.equal(queries.filter((q) => q === 'INSERT INTO "Message"').length, 3, 'the group, then one retry per conflicting message');
  assert.deepEqual(result.map((r) => r.inserted), [true, true, false, false, true, true]);
  assert.equal(result[2]!.row.id, result[0]!.row.id, 'the in-group duplicate is the first message');
  assert.equal(result[2]!.row.body, 'one');
  assert.equal(result[3]!.row.id, stored.row.id, 'the duplicate of an earlier group is the stored row');
  assert.equal(result[3]!.row.stanzaId, 's-old', 'with its stanza-id filled in');
  assert.notEqual(result[4]!.row.id, result[5]!.row.id);
  assert.equal(result[1]!.row.accountId, b.id);
  const ids = [0, 1, 4, 5].map((i) => BigInt(result[i]!.row.id));
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'rows are numbered in call order');
  // A later group meets all of them as stored.
  const again = await Promise.all([messages.insert(msg(a.id, { stanzaId: 's1' })), messages.insert(msg(b.id, { stanzaId: 's1' }))]);
  assert.deepEqual(again.map((r) => [r.inserted, r.row.id]), [[false, result[0]!.row.id], [false, result[1]!.row.id]]);
});

test('one bad message in a group fails alone: the others are stored and their callers never see its error', async () => {
  const a = await accounts.upsert('gc-bad@example.test');
  const results = await Promise.allSettled([
    messages.insert(msg(a.id, { body: 'fine 1', stamp: t(10) })),
    messages.insert(msg(a.id, { body: 'the zero byte PostgreSQL refuses \u0000', stamp: t(11) })),
    messages.insert(msg(a.id, { body: 'fine 2', stamp: t(12) })),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual((await messages.page(a.id, BOB, { limit: 10 })).map((r) => r.body), ['fine 2', 'fine 1']);
});

test('state changes of one turn are one UPDATE; the same message twice applies in call order; refused ones give null', async () => {
  const a = await accounts.upsert('gc-state@example.test');
  const [m1, m2] = await Promise.all([1, 2].map((n) => messages.insert(msg(a.id, { direction: 'out', originId: `o${n}`, state: 'pending', stamp: t(20 + n) }))));
  const { result, queries } = await statements(() =>
    Promise.all([
      messages.updateState(a.id, m1!.row.id, 'sent', ['pending']),
      messages.updateState(a.id, m1!.row.id, 'delivered', ['pending', 'sent']),
      messages.updateState(a.id, m2!.row.id, 'sent', ['delivered']), // not from 'pending': refused
      messages.updateState(a.id, '999999999', 'sent'),
    ]),
  );
  assert.deepEqual(queries, ['UPDATE "Message" m', 'UPDATE "Message" m'], 'one statement, and a second round for the row named twice');
  assert.deepEqual(result.map((r) => r?.state ?? null), ['sent', 'delivered', null, null]);
  assert.equal((await messages.byId(a.id, m1!.row.id))!.state, 'delivered');
  assert.equal((await messages.byId(a.id, m2!.row.id))!.state, 'pending');
  assert.equal(await messages.updateState(a.id, m1!.row.id, 'delivered'), null, 'no change: null');
});
