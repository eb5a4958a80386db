/** Every repository method against a real PostgreSQL (fresh database, migrated by openDatabase). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import session from 'express-session';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { openDatabase, type Database } from '../../server/store/db.js';
import { AccountStore } from '../../server/store/accounts.js';
import { ContactStore } from '../../server/store/contacts.js';
import { MessageStore, type NewMessage } from '../../server/store/messages.js';
import { PgSessionStore, hashSid } from '../../server/store/sessions.js';
import { OmemoDeviceStore } from '../../server/store/omemo-devices.js';
import { countStatements } from '../harness/sql-count.js';

let testDb: TestDatabase;
let db: Database;
let accounts: AccountStore;
let contacts: ContactStore;
let messages: MessageStore;
let sessions: PgSessionStore;
let omemo: OmemoDeviceStore;

before(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
  accounts = new AccountStore(db);
  contacts = new ContactStore(db);
  messages = new MessageStore(db);
  sessions = new PgSessionStore(db, { pruneEveryMs: 0 });
  omemo = new OmemoDeviceStore(db);
});
after(async () => {
  sessions?.close();
  await db?.close();
  await testDb?.drop();
});

const ME = 'me@example.test';
const BOB = 'bob@example.test';

function msg(accountId: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    accountId, peer: BOB, direction: 'in', fromJid: `${BOB}/phone`, toJid: `${ME}/parley`, type: 'chat', body: 'hi',
    encrypted: null, messageId: null, originId: null, stanzaId: null, stamp: new Date('2024-01-01T00:00:00Z'), state: 'received', ...over,
  };
}

test('accounts: upsert is idempotent and race-safe; credentials set, listed, cleared; login touched', async () => {
  const rows = await Promise.all(Array.from({ length: 5 }, () => accounts.upsert('acc@example.test')));
  assert.equal(new Set(rows.map((r) => r.id)).size, 1);
  const a = rows[0]!;
  assert.match(a.id, /^\d+$/);
  assert.equal(a.credential, null);
  assert.deepEqual(await accounts.byJid('acc@example.test'), a);
  assert.equal(await accounts.byJid('nobody@example.test'), null);
  assert.equal(await accounts.byId('999999999'), null);
  assert.equal(await accounts.byId('not-a-number'), null);

  await accounts.setCredential(a.id, Buffer.from([1, 2, 3, 250]));
  const withCred = await accounts.byId(a.id);
  assert.ok(Buffer.isBuffer(withCred!.credential));
  assert.deepEqual([...withCred!.credential!], [1, 2, 3, 250]);
  assert.ok(withCred!.credentialUpdatedAt instanceof Date);
  assert.deepEqual((await accounts.listWithCredentials()).map((r) => r.jid), ['acc@example.test']);
  await accounts.setCredential(a.id, null);
  assert.deepEqual(await accounts.listWithCredentials(), []);
  assert.equal((await accounts.byId(a.id))!.credentialUpdatedAt, null);

  assert.equal(a.lastLoginAt, null);
  await accounts.touchLogin(a.id);
  assert.ok((await accounts.byId(a.id))!.lastLoginAt instanceof Date);
});

const call = <T>(fn: (cb: (err?: unknown, v?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

function sessionData(accountId: string | undefined, expires: Date): session.SessionData {
  return { cookie: { originalMaxAge: expires.getTime() - Date.now(), expires, httpOnly: true, path: '/' }, accountId } as unknown as session.SessionData;
}

test('sessions: set/get/touch/destroy keyed by sha256(sid), expiry, prune, logout everywhere', async () => {
  const acc = await accounts.upsert('sess@example.test');
  const future = new Date(Date.now() + 3600_000);
  await call((cb) => sessions.set('sid-1', sessionData(acc.id, future), cb));
  await call((cb) => sessions.set('sid-2', sessionData(acc.id, future), cb));
  await call((cb) => sessions.set('sid-anon', sessionData(undefined, future), cb));

  const raw = await db.pool.query('SELECT sid, "accountId" FROM "BrowserSession" ORDER BY sid');
  assert.ok(raw.rows.every((r) => /^[0-9a-f]{64}$/.test(r.sid)), 'only hashes are stored');
  assert.ok(!raw.rows.some((r) => r.sid === 'sid-1'));
  assert.ok(raw.rows.some((r) => r.sid === hashSid('sid-1') && r.accountId === acc.id));

  const got = await call<session.SessionData | null>((cb) => sessions.get('sid-1', cb));
  assert.equal((got as { accountId?: string }).accountId, acc.id);
  assert.equal(await call((cb) => sessions.get('unknown', cb)), null);

  const later = new Date(Date.now() + 7200_000);
  await call((cb) => sessions.touch('sid-1', sessionData(acc.id, later), cb));
  const touched = await db.pool.query('SELECT "expiresAt" FROM "BrowserSession" WHERE sid = $1', [hashSid('sid-1')]);
  assert.equal(touched.rows[0].expiresAt.getTime(), later.getTime());

  await call((cb) => sessions.destroy('sid-anon', cb));
  assert.equal(await call((cb) => sessions.get('sid-anon', cb)), null);

  // Expired: invisible at once, deleted by prune().
  await call((cb) => sessions.set('sid-old', sessionData(undefined, new Date(Date.now() - 1000)), cb));
  assert.equal(await call((cb) => sessions.get('sid-old', cb)), null);
  assert.equal(await sessions.prune(), 1);
  assert.equal(await call<number>((cb) => sessions.length(cb)), 2);

  // A session naming an account that does not exist is kept, unlinked.
  await call((cb) => sessions.set('sid-ghost', sessionData('987654321', future), cb));
  assert.ok(await call((cb) => sessions.get('sid-ghost', cb)));

  assert.equal(await sessions.destroyAllForAccount(acc.id), 2);
  assert.equal(await call((cb) => sessions.get('sid-1', cb)), null);
  assert.equal(await call((cb) => sessions.get('sid-2', cb)), null);
  assert.equal(await sessions.destroyAllForAccount('junk'), 0);
});

test('contacts: replaceAll mirrors the roster, upsert/remove follow pushes', async () => {
  const acc = await accounts.upsert('roster@example.test');
  const other = await accounts.upsert('other@example.test');
  await contacts.upsert(other.id, { jid: 'x@example.test', name: null, subscription: 'both', ask: false, groups: [] });
  await contacts.upsert(acc.id, { jid: 'gone@example.test', name: 'Gone', subscription: 'to', ask: false, groups: [] });
  await contacts.replaceAll(acc.id, [
    { jid: 'a@example.test', name: 'A', subscription: 'both', ask: false, groups: ['Friends', 'Work'] },
    { jid: 'b@example.test', name: null, subscription: 'none', ask: true, groups: [] },
    { jid: 'r@example.test', name: null, subscription: 'remove', ask: false, groups: [] },
  ]);
  const list = await contacts.list(acc.id);
  assert.deepEqual(list.map(({ updatedAt, ...c }) => (assert.ok(updatedAt instanceof Date), c)), [
    { jid: 'a@example.test', name: 'A', subscription: 'both', ask: false, groups: ['Friends', 'Work'] },
    { jid: 'b@example.test', name: null, subscription: 'none', ask: true, groups: [] },
  ]);
  await contacts.upsert(acc.id, { jid: 'b@example.test', name: 'Bee', subscription: 'to', ask: false, groups: ['G'] });
  await contacts.remove(acc.id, 'a@example.test');
  assert.deepEqual((await contacts.list(acc.id)).map((c) => [c.jid, c.name, c.subscription, c.groups]), [['b@example.test', 'Bee', 'to', ['G']]]);
  await contacts.replaceAll(acc.id, []);
  assert.deepEqual(await contacts.list(acc.id), []);
  assert.equal((await contacts.list(other.id)).length, 1, 'other accounts untouched');
});

test('omemo devices: touch, revoke (sticky), list', async () => {
  const acc = await accounts.upsert('omemo@example.test');
  await omemo.touch(acc.id, 1111);
  await omemo.touch(acc.id, 2222);
  await omemo.revoke(acc.id, 2222);
  await omemo.touch(acc.id, 2222);
  const list = await omemo.list(acc.id);
  assert.deepEqual(list.map((d) => [d.deviceId, d.revoked]), [[1111, false], [2222, true]]);
  assert.ok(list.every((d) => d.lastSeen instanceof Date));
});

test('messages: insert dedups by stanzaId and by (sender, originId); a missing stanzaId is filled in', async () => {
  const acc = await accounts.upsert('dedup@example.test');
  const a = await messages.insert(msg(acc.id, { stanzaId: 'arch-1', originId: 'o-1', messageId: 'm-1' }));
  assert.equal(a.inserted, true);
  assert.match(a.row.id, /^\d+$/);
  assert.equal(a.row.accountId, acc.id);
  assert.ok(a.row.stamp instanceof Date && a.row.createdAt instanceof Date);

  const again = await messages.insert(msg(acc.id, { stanzaId: 'arch-1', body: 'changed?' }));
  assert.deepEqual([again.inserted, again.row.id, again.row.body], [false, a.row.id, 'hi']);

  // Same origin-id from the same sender (live copy without stanza-id, then from the archive).
  const live = await messages.insert(msg(acc.id, { direction: 'out', fromJid: `${ME}/parley`, toJid: BOB, originId: 'o-2', state: 'pending' }));
  assert.equal(live.inserted, true);
  const fromArchive = await messages.insert(msg(acc.id, { direction: 'out', fromJid: `${ME}/other`, toJid: BOB, originId: 'o-2', stanzaId: 'arch-2', state: 'sent' }));
  assert.deepEqual([fromArchive.inserted, fromArchive.row.id, fromArchive.row.stanzaId, fromArchive.row.state], [false, live.row.id, 'arch-2', 'pending']);
  assert.equal((await messages.byId(acc.id, live.row.id))!.stanzaId, 'arch-2');

  // The same origin-id chosen by another sender is another message.
  const otherSender = await messages.insert(msg(acc.id, { peer: 'carol@example.test', fromJid: 'carol@example.test/x', originId: 'o-2' }));
  assert.equal(otherSender.inserted, true);
  const theirs = await messages.insert(msg(acc.id, { originId: 'o-2' }));
  assert.equal(theirs.inserted, true, "Bob's o-2 is not our o-2");

  // Without any id, nothing can be deduplicated: both are stored.
  assert.equal((await messages.insert(msg(acc.id, { body: 'no ids' }))).inserted, true);
  assert.equal((await messages.insert(msg(acc.id, { body: 'no ids' }))).inserted, true);

  // Concurrent inserts of one message store it once.
  const racing = await Promise.all(Array.from({ length: 8 }, () => messages.insert(msg(acc.id, { stanzaId: 'arch-race', originId: 'o-race' }))));
  assert.equal(racing.filter((r) => r.inserted).length, 1);
  assert.equal(new Set(racing.map((r) => r.row.id)).size, 1);

  // stanzaIds are per account.
  const acc2 = await accounts.upsert('dedup2@example.test');
  assert.equal((await messages.insert(msg(acc2.id, { stanzaId: 'arch-1' }))).inserted, true);
});

const countQueries = <T>(fn: () => Promise<T>) => countStatements(db.pool, fn);

test('messages: insertMany stores new rows in order with one look-up and one INSERT; no ids, no dedup', async () => {
  const acc = await accounts.upsert('batch-new@example.test');
  const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
  const batch = [
    msg(acc.id, { stanzaId: 'b-1', body: 'one', stamp: t(1) }),
    msg(acc.id, { originId: 'o-b-2', body: 'two', stamp: t(2) }),
    msg(acc.id, { body: 'same', stamp: t(3) }),
    msg(acc.id, { body: 'same', stamp: t(3) }),
    msg(acc.id, { direction: 'out', fromJid: `${ME}/p`, toJid: BOB, originId: 'o-b-2', stanzaId: 'b-5', body: 'ours, same origin-id', state: 'sent', stamp: t(5), attachmentUrl: 'https://files.example.test/a.png', attachmentName: 'a.png' }),
  ];
  const { result, queries } = await countQueries(() => messages.insertMany(batch));
  assert.deepEqual(queries, ['SELECT m.* FROM', 'INSERT INTO "Message"']);
  assert.deepEqual(result.map((r) => r.inserted), [true, true, true, true, true]);
  assert.deepEqual(result.map((r) => r.row.body), ['one', 'two', 'same', 'same', 'ours, same origin-id']);
  assert.deepEqual(result.map((r) => r.row.stamp.getTime()), [1, 2, 3, 3, 5].map((s) => t(s).getTime()));
  assert.equal(result[4]!.row.attachmentName, 'a.png');
  const ids = result.map((r) => BigInt(r.row.id));
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'ids follow the batch order');
  assert.equal(new Set(result.map((r) => r.row.id)).size, 5);
  assert.deepEqual((await messages.page(acc.id, BOB, { limit: 10 })).map((r) => r.body), ['ours, same origin-id', 'same', 'same', 'two', 'one']);

  assert.deepEqual(await messages.insertMany([]), []);
  const acc2 = await accounts.upsert('batch-new2@example.test');
  await assert.rejects(messages.insertMany([msg(acc.id), msg(acc2.id)]), TypeError);
  await assert.rejects(messages.insertMany([msg('x')]), TypeError);
});

test('messages: insertMany of a batch over the row limit of one INSERT splits it', async () => {
  const acc = await accounts.upsert('batch-big@example.test');
  const batch = Array.from({ length: 2500 }, (_, i) => msg(acc.id, { stanzaId: `big-${i}`, body: `m${i}`, stamp: new Date(Date.UTC(2024, 0, 1) + i) }));
  const { result, queries } = await countQueries(() => messages.insertMany(batch));
  assert.deepEqual(queries, ['SELECT m.* FROM', 'INSERT INTO "Message"', 'INSERT INTO "Message"', 'INSERT INTO "Message"']);
  assert.equal(result.filter((r) => r.inserted).length, 2500);
  assert.ok(result.every((r, i) => r.row.body === `m${i}` && r.row.stanzaId === `big-${i}`));
  // The same page again: all duplicates, found by the one look-up, nothing written.
  const again = await countQueries(() => messages.insertMany(batch));
  assert.deepEqual(again.queries, ['SELECT m.* FROM']);
  assert.ok(again.result.every((r, i) => !r.inserted && r.row.id === result[i]!.row.id));
});

test('messages: insertMany dedups by stanzaId and origin-id against stored rows and within the batch, fills a missing stanzaId', async () => {
  const acc = await accounts.upsert('batch-dup@example.test');
  const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
  const byStanza = (await messages.insert(msg(acc.id, { stanzaId: 'd-1', body: 'stored', stamp: t(1) }))).row;
  const liveOut = (await messages.insert(msg(acc.id, { direction: 'out', fromJid: `${ME}/p`, toJid: BOB, originId: 'o-live', state: 'pending', body: 'live', stamp: t(2) }))).row;
  const archivedIn = (await messages.insert(msg(acc.id, { originId: 'o-in', stanzaId: 'd-3', body: 'archived', stamp: t(3) }))).row;

  const batch = [
    msg(acc.id, { stanzaId: 'd-1', body: 'changed?', stamp: t(10) }), // stored, by stanzaId
    msg(acc.id, { direction: 'out', fromJid: `${ME}/other`, toJid: BOB, originId: 'o-live', stanzaId: 'd-2', state: 'sent', stamp: t(11) }), // by origin-id: fill d-2
    msg(acc.id, { originId: 'o-in', stanzaId: 'd-3-other', stamp: t(12) }), // by origin-id, stored row keeps its stanzaId
    msg(acc.id, { stanzaId: 'd-2', body: 'again d-2', stamp: t(13) }), // the row just given d-2
    msg(acc.id, { stanzaId: 'n-1', body: 'new', stamp: t(14) }),
    msg(acc.id, { stanzaId: 'n-1', body: 'new, twice', stamp: t(15) }), // within the batch, by stanzaId
    msg(acc.id, { originId: 'o-n-2', body: 'new without stanzaId', stamp: t(16) }),
    msg(acc.id, { originId: 'o-n-2', stanzaId: 'n-2', stamp: t(17) }), // within the batch, by origin-id: fill n-2
    msg(acc.id, { stanzaId: 'n-2', stamp: t(18) }), // the batch row just given n-2
    msg(acc.id, { peer: 'carol@example.test', fromJid: 'carol@example.test/c', originId: 'o-in', body: "carol's o-in" }), // another sender
  ];
  const held: (number | null)[] = [];
  const result = await messages.insertMany(batch, (m, h) => {
    held.push(h?.getTime() ?? null);
    return m.stamp;
  });
  assert.deepEqual(result.map((r) => r.inserted), [false, false, false, false, true, false, true, false, false, true]);
  const [r1, r2, r3, r4, r5, r6, r7, r8, r9] = result.map((r) => r.row);
  assert.deepEqual([r1!.id, r1!.body], [byStanza.id, 'stored']);
  assert.deepEqual([r2!.id, r2!.stanzaId, r2!.state], [liveOut.id, 'd-2', 'pending']);
  assert.deepEqual([r3!.id, r3!.stanzaId], [archivedIn.id, 'd-3']);
  assert.deepEqual([r4!.id, r4!.body], [liveOut.id, 'live']);
  assert.equal(r6!.id, r5!.id);
  assert.deepEqual([r8!.id, r8!.stanzaId, r9!.id], [r7!.id, 'n-2', r7!.id]);
  assert.equal((await messages.byId(acc.id, liveOut.id))!.stanzaId, 'd-2');
  assert.equal((await messages.byId(acc.id, r7!.id))!.stanzaId, 'n-2');
  // What each message duplicates, as the stamp callback saw it: stored stamps, then the batch's own.
  assert.deepEqual(held, [t(1), t(2), t(3), t(2), null, t(14), null, t(16), t(16), null].map((d) => (d === null ? null : d.getTime())));
});

test('messages: insertMany gives the same outcome as insert one by one', async () => {
  const seed = (accountId: string) => [
    msg(accountId, { stanzaId: 's-a', body: 'a', stamp: new Date(1000) }),
    msg(accountId, { direction: 'out', fromJid: `${ME}/p`, toJid: BOB, originId: 'o-b', state: 'pending', body: 'b', stamp: new Date(2000) }),
  ];
  const batch = (accountId: string) => [
    msg(accountId, { stanzaId: 's-a', stamp: new Date(3000) }),
    msg(accountId, { stanzaId: 's-c', originId: 'o-c', body: 'c', stamp: new Date(4000) }),
    msg(accountId, { direction: 'out', fromJid: `${ME}/x`, toJid: BOB, originId: 'o-b', stanzaId: 's-b', state: 'sent', stamp: new Date(5000) }),
    msg(accountId, { originId: 'o-c', stanzaId: 's-c2', body: 'c again', stamp: new Date(6000) }),
    msg(accountId, { stanzaId: 's-b', body: 'b again', stamp: new Date(7000) }),
    msg(accountId, { body: 'plain', stamp: new Date(8000) }),
  ];
  const one = await accounts.upsert('batch-eq-1@example.test');
  const many = await accounts.upsert('batch-eq-2@example.test');
  for (const m of seed(one.id)) await messages.insert(m);
  for (const m of seed(many.id)) await messages.insert(m);
  const sequential: { inserted: boolean; row: { body: string | null; stanzaId: string | null; stamp: Date } }[] = [];
  for (const m of batch(one.id)) sequential.push(await messages.insert(m));
  const batched = await messages.insertMany(batch(many.id));
  const view = (rs: typeof sequential) => rs.map((r) => [r.inserted, r.row.body, r.row.stanzaId, r.row.stamp.getTime()]);
  assert.deepEqual(view(batched), view(sequential));
  const all = async (id: string) => (await messages.page(id, BOB, { limit: 50 })).map((r) => [r.body, r.stanzaId, r.originId, r.state, r.stamp.getTime()]);
  assert.deepEqual(await all(many.id), await all(one.id));
});

test('messages: insertMany takes the per-message path for a row a live insert stored meanwhile', async () => {
  const acc = await accounts.upsert('batch-race@example.test');
  const original = db.pool.query.bind(db.pool);
  let live: string | null = null;
  // Right after the look-up, a live copy of the second message lands.
  (db.pool as { query: unknown }).query = async (text: string, ...rest: unknown[]) => {
    const res = await (original as (...a: unknown[]) => Promise<unknown>)(text, ...rest);
    if (live === null && text.startsWith('SELECT m.* FROM unnest(')) {
      live = (await messages.insert(msg(acc.id, { originId: 'o-race', body: 'live copy' }))).row.id;
    }
    return res;
  };
  let result;
  try {
    result = await messages.insertMany([msg(acc.id, { stanzaId: 'r-1' }), msg(acc.id, { originId: 'o-race', stanzaId: 'r-2', body: 'archived copy' }), msg(acc.id, { stanzaId: 'r-3' })]);
  } finally {
    (db.pool as { query: unknown }).query = original;
  }
  assert.ok(live);
  assert.deepEqual(result.map((r) => r.inserted), [true, false, true]);
  assert.deepEqual([result[1]!.row.id, result[1]!.row.body, result[1]!.row.stanzaId], [live, 'live copy', 'r-2']);
  assert.equal((await messages.page(acc.id, BOB, { limit: 10 })).length, 3);
});

test('messages: keyset paging is newest first, stable with equal stamps, and walks everything once', async () => {
  const acc = await accounts.upsert('paging@example.test');
  const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
  const rows: NewMessage[] = [];
  for (let i = 0; i < 25; i++) rows.push(msg(acc.id, { body: `m${i}`, stamp: t(Math.floor(i / 5)) })); // 5 per stamp
  rows.push(msg(acc.id, { peer: 'other@example.test', body: 'elsewhere', stamp: t(100) }));
  assert.equal(await messages.bulkInsertRaw(rows), 26);

  const seen: string[] = [];
  let before: { stamp: Date; id: string } | undefined;
  for (;;) {
    const page = await messages.page(acc.id, BOB, { before, limit: 7 });
    if (!page.length) break;
    seen.push(...page.map((r) => r.body!));
    const last = page.at(-1)!;
    before = { stamp: last.stamp, id: last.id };
  }
  assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => `m${24 - i}`));
  await assert.rejects(messages.page(acc.id, BOB, { before: { stamp: new Date('x'), id: '1' }, limit: 5 }), RangeError);
  await assert.rejects(messages.page(acc.id, BOB, { before: { stamp: t(1), id: '1; DROP' }, limit: 5 }), RangeError);
});

test('messages: states, receipts look-up, mark read, outbox, archive position, conversations', async () => {
  const acc = await accounts.upsert('states@example.test');
  const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
  assert.equal(await messages.lastArchived(acc.id), null);
  assert.equal(await messages.newestStamp(acc.id), null);
  assert.deepEqual(await messages.conversations(acc.id, 10), []);

  const out = (await messages.insert(msg(acc.id, { direction: 'out', fromJid: `${ME}/p`, toJid: BOB, messageId: 'out-1', originId: 'out-1', state: 'pending', stamp: t(1) }))).row;
  const in1 = (await messages.insert(msg(acc.id, { messageId: 'in-1', stanzaId: 's-1', stamp: t(2) }))).row;
  const in2 = (await messages.insert(msg(acc.id, { messageId: 'in-2', originId: 'orig-in-2', stanzaId: 's-2', stamp: t(3) }))).row;
  const in3 = (await messages.insert(msg(acc.id, { messageId: 'in-3', stamp: t(4) }))).row;
  const carol = (await messages.insert(msg(acc.id, { peer: 'carol@example.test', fromJid: 'carol@example.test/c', stanzaId: 's-0', stamp: t(9) }))).row;

  assert.deepEqual((await messages.pendingOutbox(acc.id)).map((r) => r.id), [out.id]);
  const sent = await messages.updateState(acc.id, out.id, 'sent');
  assert.equal(sent?.state, 'sent');
  assert.equal(await messages.updateState(acc.id, out.id, 'sent'), null, 'no change, no row');
  assert.equal(await messages.updateState(acc.id, 'junk', 'sent'), null);
  assert.deepEqual(await messages.pendingOutbox(acc.id), []);

  assert.equal((await messages.findByMessageId(acc.id, BOB, 'out-1'))!.id, out.id);
  assert.equal((await messages.findByMessageId(acc.id, BOB, 'orig-in-2'))!.id, in2.id, 'origin-id matches too');
  assert.equal(await messages.findByMessageId(acc.id, 'carol@example.test', 'out-1'), null, 'scoped to the conversation');

  assert.equal((await messages.lastArchived(acc.id))?.stanzaId, 's-0', 'newest by stamp, any conversation');
  assert.equal((await messages.newestStamp(acc.id))!.getTime(), t(9).getTime());

  let convs = await messages.conversations(acc.id, 10);
  assert.deepEqual(convs.map((c) => [c.last.peer, c.last.id, c.unread]), [['carol@example.test', carol.id, 1], [BOB, in3.id, 3]]);
  assert.deepEqual((await messages.conversations(acc.id, 1)).map((c) => c.last.peer), ['carol@example.test']);

  assert.equal(await messages.markDisplayedUpTo(acc.id, BOB, in2.stamp, in2.id), 2);
  assert.equal((await messages.byId(acc.id, in1.id))!.state, 'displayed');
  assert.equal((await messages.byId(acc.id, in3.id))!.state, 'received');
  assert.equal((await messages.byId(acc.id, out.id))!.state, 'sent', 'our own messages keep their state');
  assert.equal(await messages.markDisplayedUpTo(acc.id, BOB, in2.stamp, in2.id), 0);
  convs = await messages.conversations(acc.id, 10);
  assert.equal(convs.find((c) => c.last.peer === BOB)!.unread, 1);
  assert.equal(await messages.byId(acc.id, '99999999'), null);
  const other = await accounts.upsert('states-other@example.test');
  assert.equal(await messages.byId(other.id, in1.id), null, 'rows of another account are invisible');
});

test('markDisplayedUpTo: concurrent marks with different bounds while messages arrive never deadlock, and are idempotent', async () => {
  const acc = await accounts.upsert('marks@example.test');
  const base = Date.UTC(2024, 2, 1);
  const batch = Array.from({ length: 10_000 }, (_, i) => msg(acc.id, { originId: `mk-${i}`, body: `m${i}`, stamp: new Date(base + Math.floor(i / 3)) }));
  await messages.insertMany(batch.slice(0, 9000));
  // With real statistics the planner scans a narrow bound through the (peer, stamp) index, newest first, and a wide
  // one through the table, oldest first: two marks at once then lock the same rows in opposite orders (the deadlock).
  await db.pool.query('ANALYZE "Message"');
  const stored = (await db.pool.query<{ id: string; stamp: Date }>(`SELECT id, stamp FROM "Message" WHERE "accountId" = $1 ORDER BY id`, [acc.id])).rows;
  const pick = (from: number, to: number) => stored[from + Math.floor(Math.random() * (to - from))]!;
  const errors: string[] = [];
  for (let round = 0; round < 20; round++) {
    await db.pool.query(`UPDATE "Message" SET state = 'received' WHERE "accountId" = $1`, [acc.id]);
    // As many marks as the pool has connections, narrow and wide alternating, and messages arriving meanwhile.
    const bounds = Array.from({ length: 8 }, (_, i) => (i % 2 ? pick(20, 120) : pick(8000, 9000)));
    const results = await Promise.allSettled([
      ...bounds.map((row) => messages.markDisplayedUpTo(acc.id, BOB, row.stamp, row.id)),
      ...batch.slice(9000 + round * 50, 9050 + round * 50).map((m) => messages.insert(m)),
    ]);
    errors.push(...results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : [])));
  }
  assert.deepEqual(errors, []);
  const newest = (await messages.page(acc.id, BOB, { limit: 1 }))[0]!;
  assert.ok((await messages.markDisplayedUpTo(acc.id, BOB, newest.stamp, newest.id)) > 0);
  assert.equal(await messages.markDisplayedUpTo(acc.id, BOB, newest.stamp, newest.id), 0, 'marking again changes nothing');
  const unread = (await messages.conversations(acc.id, 10)).find((c) => c.last.peer === BOB)?.unread;
  assert.equal(unread, 0);
});
