/** MutationStore against a real PostgreSQL: versions, retraction, tombstones, and the cost of the catch-up filter. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { openDatabase, type Database } from '../../server/store/db.js';
import { AccountStore } from '../../server/store/accounts.js';
import { MessageStore, type NewMessage } from '../../server/store/messages.js';
import { MAX_VERSIONS, MutationStore, type MessageKeys } from '../../server/store/mutations.js';

let testDb: TestDatabase;
let db: Database;
let messages: MessageStore;
let mutations: MutationStore;
let accountId: string;
const BOB = 'bob@example.test';

before(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
  messages = new MessageStore(db);
  mutations = new MutationStore(db);
  accountId = (await new AccountStore(db).upsert('me@example.test')).id;
});
after(async () => {
  await db?.close();
  await testDb?.drop();
});

let n = 0;
function msg(over: Partial<NewMessage> = {}): NewMessage {
  n++;
  return {
    accountId, peer: BOB, direction: 'in', fromJid: `${BOB}/phone`, toJid: 'me@example.test/parley', type: 'chat', body: `m${n}`,
    encrypted: null, messageId: `id${n}`, originId: `o${n}`, stanzaId: `s${n}`, stamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)), state: 'received', ...over,
  };
}
const content = (body: string, sourceId: string) => ({ body, encrypted: null, sourceId, stamp: new Date() });

test('corrections: each kept as a version once, capped, found by the original or a correction id, gone with a retraction', async () => {
  const { row } = await messages.insert(msg({ body: 'v0', messageId: 'orig', originId: 'orig' }));
  const c1 = await mutations.correct(accountId, row.id, content('v1', 'c1'));
  assert.equal(c1?.body, 'v1');
  assert.equal(await mutations.correct(accountId, row.id, content('v1 again', 'c1')), null, 'the same correction twice');
  assert.equal(await mutations.correct(accountId, row.id, content('loop', 'orig')), null, 'a correction named like the original');
  // A client that names its previous correction instead of the original still finds the message, on its side only.
  assert.equal((await mutations.findTarget(accountId, BOB, 'in', 'c1'))?.id, row.id);
  assert.equal(await mutations.findTarget(accountId, BOB, 'out', 'orig'), null);
  assert.equal(await mutations.findTarget(accountId, 'mallory@example.test', 'in', 'orig'), null);
  for (let i = 2; i < 40; i++) await mutations.correct(accountId, row.id, content(`v${i}`, `c${i}`));
  const versions = await mutations.versions(accountId, row.id);
  assert.equal(versions.length, MAX_VERSIONS + 1);
  assert.deepEqual([versions[0]!.body, versions[0]!.version, versions.at(-1)!.body], ['v0', 0, 'v38']);
  const retracted = await mutations.retract(accountId, row.id, new Date());
  assert.equal(retracted?.body, null);
  assert.equal(await mutations.retract(accountId, row.id, new Date()), null, 'once');
  assert.deepEqual(await mutations.versions(accountId, row.id), []);
  assert.equal(await mutations.correct(accountId, row.id, content('after', 'late')), null, 'a tombstone stays one');
});

test('deletions leave tombstones the catch-up filter finds by archive id, origin-id or conversation mark', async () => {
  const a = (await messages.insert(msg())).row;
  const sent = (await messages.insert(msg({ direction: 'out', stanzaId: null }))).row;
  const kept = (await messages.insert(msg())).row;
  await mutations.deleteMessage(accountId, a.id);
  await mutations.deleteMessage(accountId, sent.id);
  const keys = (r: typeof a, over: Partial<MessageKeys> = {}): MessageKeys => ({ peer: r.peer, direction: r.direction, stanzaId: r.stanzaId, originId: r.originId, stamp: r.stamp, ...over });
  const gone = await mutations.forgotten(accountId, [
    keys(a),
    keys(sent, { stanzaId: 'seen-later-in-the-archive' }),
    keys(kept),
    keys(sent, { peer: 'carol@example.test' }),
    keys(sent, { direction: 'in' }),
  ]);
  assert.deepEqual([...gone].sort(), [0, 1]);
  const ids = await mutations.deleteConversation(accountId, BOB, new Date(Date.UTC(2026, 0, 1)));
  assert.ok(ids.includes(kept.id));
  const after = await mutations.forgotten(accountId, [keys(kept, { stanzaId: 'other' }), keys(kept, { stanzaId: 'newer', originId: 'x', stamp: new Date(Date.UTC(2030, 0, 1)) })]);
  assert.deepEqual([...after], [0]);
});

test('the catch-up filter over a 250-message page with 5,000 tombstones', async () => {
  const peer = 'many@example.test';
  await db.pool.query(
    `INSERT INTO "DeletedMessage" ("accountId", peer, direction, "stanzaId", "originId")
     SELECT $1, $2, 'in', 'del-s' || g, 'del-o' || g FROM generate_series(1, 5000) g`,
    [accountId, peer],
  );
  const page: MessageKeys[] = Array.from({ length: 250 }, (_, i) => ({
    peer, direction: 'in', stanzaId: i % 10 === 0 ? `del-s${i + 1}` : `new-s${i}`, originId: i % 10 === 5 ? `del-o${i + 1}` : `new-o${i}`, stamp: new Date(),
  }));
  await mutations.forgotten(accountId, page); // warm
  const runs: number[] = [];
  let gone = new Set<number>();
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    gone = await mutations.forgotten(accountId, page);
    runs.push(performance.now() - t);
  }
  assert.equal(gone.size, 50);
  runs.sort((x, y) => x - y);
  console.log(`# forgotten(): 250 messages, 5,000 tombstones: median ${runs[2]!.toFixed(1)} ms`);
});
