/** Search, "around" and mutes against a real PostgreSQL (fresh database, migrated by openDatabase). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { openDatabase, type Database } from '../../server/store/db.js';
import { AccountStore } from '../../server/store/accounts.js';
import { MessageStore, type NewMessage } from '../../server/store/messages.js';
import { SearchStore } from '../../server/store/search.js';
import { MuteStore } from '../../server/store/mutes.js';
import { searchTerms } from '../../server/realtime/contract/search-text.js';

let testDb: TestDatabase;
let db: Database;
let messages: MessageStore;
let search: SearchStore;
let mutes: MuteStore;
let alice: string;
let bob: string;

const CAROL = 'carol@example.test';
const DAVE = 'dave@example.test';
const t0 = Date.parse('2024-03-01T00:00:00Z');

function msg(accountId: string, i: number, body: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    accountId, peer: CAROL, direction: i % 2 ? 'in' : 'out', fromJid: CAROL, toJid: 'me@example.test', type: 'chat', body,
    encrypted: null, messageId: null, originId: null, stanzaId: null, stamp: new Date(t0 + i * 1000), state: 'received', ...over,
  };
}

before(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
  const accounts = new AccountStore(db);
  messages = new MessageStore(db);
  search = new SearchStore(db);
  mutes = new MuteStore(db);
  alice = (await accounts.upsert('alice@example.test')).id;
  bob = (await accounts.upsert('bob@example.test')).id;
  const rows: NewMessage[] = [];
  for (let i = 0; i < 60; i++) rows.push(msg(alice, i, i % 3 === 0 ? `lunch plan number ${i}` : `other talk ${i}`));
  rows.push(msg(alice, 100, 'Lunch with Dave at noon', { peer: DAVE }));
  // OMEMO: the body is the fallback text, which mentions lunch too; never a search result.
  rows.push(msg(alice, 101, 'lunch fallback: I sent you an OMEMO encrypted message', { encrypted: '<encrypted xmlns="eu.siacs.conversations.axolotl"/>' }));
  rows.push(msg(alice, 102, '100% sure_thing \\o/'));
  rows.push(msg(bob, 103, 'bob has lunch secrets too'));
  await messages.bulkInsertRaw(rows);
});
after(async () => {
  await db?.close();
  await testDb?.drop();
});

test('search: account scoped, encrypted rows excluded, newest first, every term must match', async () => {
  const page = await search.search({ accountId: alice, terms: searchTerms('LUNCH'), limit: 50 });
  const bodies = page.rows.map((r) => r.body!);
  assert.equal(page.hasMore, false);
  assert.equal(bodies.length, 21, 'twenty in Carol\'s conversation, one in Dave\'s');
  assert.equal(bodies[0], 'Lunch with Dave at noon');
  assert.ok(bodies.every((b) => /lunch/i.test(b)));
  assert.equal(bodies.some((b) => /OMEMO|bob/.test(b)), false, 'no encrypted row, nothing of Bob');
  const stamps = page.rows.map((r) => r.stamp.getTime());
  assert.deepEqual(stamps, [...stamps].sort((a, b) => b - a));

  assert.deepEqual((await search.search({ accountId: bob, terms: ['lunch'], limit: 50 })).rows.map((r) => r.body), ['bob has lunch secrets too']);
  assert.deepEqual((await search.search({ accountId: alice, terms: searchTerms('plan 57'), limit: 50 })).rows.map((r) => r.body), ['lunch plan number 57']);
  assert.deepEqual((await search.search({ accountId: alice, terms: searchTerms('lunch'), peer: DAVE, limit: 50 })).rows.length, 1);
  assert.deepEqual((await search.search({ accountId: alice, terms: ['nothing-like-this'], limit: 50 })).rows, []);
});

test('search: LIKE wildcards in a term are text', async () => {
  assert.deepEqual((await search.search({ accountId: alice, terms: ['100%'], limit: 50 })).rows.map((r) => r.body), ['100% sure_thing \\o/']);
  assert.deepEqual((await search.search({ accountId: alice, terms: ['sur_'], limit: 50 })).rows, []);
  assert.deepEqual((await search.search({ accountId: alice, terms: ['%'], limit: 50 })).rows.length, 1);
  assert.deepEqual((await search.search({ accountId: alice, terms: ['\\o'], limit: 50 })).rows.length, 1);
});

test('search: keyset pages cover every hit once', async () => {
  const seen: string[] = [];
  let before: { stamp: Date; id: string } | undefined;
  for (let guard = 0; guard < 10; guard++) {
    const page = await search.search({ accountId: alice, terms: ['lunch'], peer: CAROL, before, limit: 7 });
    seen.push(...page.rows.map((r) => r.id));
    if (!page.hasMore) break;
    const last = page.rows.at(-1)!;
    before = { stamp: last.stamp, id: last.id };
  }
  assert.equal(seen.length, 20);
  assert.equal(new Set(seen).size, 20);
});

test('around: the hit with its neighbours, oldest first; only the account\'s own conversation; newer pages continue', async () => {
  const hit = (await search.search({ accountId: alice, terms: ['number 30'], limit: 5 })).rows.find((r) => r.body === 'lunch plan number 30')!;
  assert.ok(hit);
  const page = (await search.around(alice, CAROL, hit.id, 5))!;
  assert.equal(page.rows.length, 11);
  assert.equal(page.rows[5]!.id, hit.id);
  assert.deepEqual(page.rows.map((r) => r.body!.replace(/\D+/g, '')), ['25', '26', '27', '28', '29', '30', '31', '32', '33', '34', '35']);
  assert.equal(page.hasOlder, true);
  assert.equal(page.hasNewer, true);

  const first = (await search.search({ accountId: alice, terms: ['number 0'], peer: CAROL, limit: 50 })).rows.at(-1)!;
  const edge = (await search.around(alice, CAROL, first.id, 5))!;
  assert.equal(edge.rows[0]!.id, first.id);
  assert.equal(edge.hasOlder, false);

  assert.equal(await search.around(bob, CAROL, hit.id, 5), null, "Bob cannot open Alice's message");
  assert.equal(await search.around(alice, DAVE, hit.id, 5), null, 'the id must be in that conversation');
  assert.equal(await search.around(alice, CAROL, 'not-an-id', 5), null);

  const last = page.rows.at(-1)!;
  const newer = await search.newer(alice, CAROL, { stamp: last.stamp, id: last.id }, 100);
  assert.equal(newer.hasMore, false);
  assert.equal(newer.rows[0]!.body, 'lunch plan number 36');
  assert.ok(newer.rows.every((r, i, all) => i === 0 || r.stamp >= all[i - 1]!.stamp));
  const bobs = await search.newer(bob, CAROL, { stamp: last.stamp, id: last.id }, 100);
  assert.deepEqual(bobs.rows.map((r) => r.body), ['bob has lunch secrets too'], "Bob's own conversation only");
});

test('mutes: per account, idempotent', async () => {
  await mutes.set(alice, CAROL, true);
  await mutes.set(alice, CAROL, true);
  await mutes.set(alice, DAVE, true);
  assert.deepEqual(await mutes.list(alice), [CAROL, DAVE]);
  assert.deepEqual(await mutes.list(bob), []);
  await mutes.set(alice, DAVE, false);
  await mutes.set(alice, DAVE, false);
  assert.deepEqual(await mutes.list(alice), [CAROL]);
});
