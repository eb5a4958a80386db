/** The group commit of message inserts (server/store/group-commit.ts) and the matching of returned rows (matchInserted). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { GroupCommit } from '../../server/store/group-commit.js';
import { matchInserted, type MessageRow, type NewMessage } from '../../server/store/messages.js';
import { InboundQueue } from '../../server/features/inbound-queue.js';

const ok = <R>(value: R): PromiseSettledResult<R> => ({ status: 'fulfilled', value });
const connRefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

test('a burst of 500 adds in one event-loop turn is written as one batch, in the order added; each caller gets its own result', async () => {
  const batches: number[][] = [];
  const group = new GroupCommit<number, string>(async (items) => {
    batches.push([...items]);
    return items.map((n) => ok(`row ${n}`));
  }, { maxItems: 1000, maxInFlight: 2 });
  const results = await Promise.all(Array.from({ length: 500 }, (_, n) => group.add(n)));
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0], Array.from({ length: 500 }, (_, n) => n));
  assert.deepEqual(results, Array.from({ length: 500 }, (_, n) => `row ${n}`));
});

test('at most maxInFlight writes run at once; what arrives meanwhile waits and goes in the next batch, capped at maxItems', async () => {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const group = new GroupCommit<number, number>(async (items) => {
    batches.push([...items]);
    most = Math.max(most, ++running);
    await new Promise<void>((r) => gates.push(r));
    running--;
    return items.map((n) => ok(n));
  }, { maxItems: 3, maxInFlight: 1 });
  const first = group.add(0);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(group.pending, { waiting: 0, inFlight: 1 });
  const later = [1, 2, 3, 4, 5, 6, 7].map((n) => group.add(n));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(group.pending, { waiting: 7, inFlight: 1 }, 'the burst waits for the running write');
  while (batches.length < 4 || gates.length > 0) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all([first, ...later]), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(batches, [[0], [1, 2, 3], [4, 5, 6], [7]]);
  assert.equal(most, 1);
});

test('per-item failures reach only their callers; a write that throws rejects its whole batch, and the next batch still runs', async () => {
  let calls = 0;
  const group = new GroupCommit<string, string>(async (items) => {
    if (calls++ === 0) return items.map((s) => (s === 'bad' ? { status: 'rejected', reason: new Error(`refused ${s}`) } : ok(s)));
    throw connRefused();
  }, { maxItems: 100, maxInFlight: 1 });
  const settled = await Promise.allSettled(['a', 'bad', 'c'].map((s) => group.add(s)));
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((settled[1] as PromiseRejectedResult).reason), /refused bad/);
  const down = await Promise.allSettled(['d', 'e'].map((s) => group.add(s)));
  assert.deepEqual(down.map((s) => s.status), ['rejected', 'rejected']);
  assert.throws(() => new GroupCommit(async () => [], { maxItems: 0, maxInFlight: 1 }), RangeError);
});

test('a failing batch behind the inbound queue: the stanzas are held and retried in order, and nothing is emitted before it is stored', async () => {
  // The database: down for the first two writes, then up. `stored` is what it holds, `emitted` what the tabs heard.
  const stored: string[] = [];
  const emitted: string[] = [];
  let outage = 2;
  const group = new GroupCommit<string, string>(async (items) => {
    if (outage-- > 0) throw connRefused();
    stored.push(...items);
    return items.map((s) => ok(s));
  }, { maxItems: 100, maxInFlight: 1 });
  const degraded: boolean[] = [];
  // Two accounts' queues sharing the one group commit, as all sessions share the MessageStore.
  const queues = ['alice', 'bob'].map(
    (who) =>
      new InboundQueue<string>(
        async (stanza) => {
          const row = await group.add(`${who}:${stanza}`);
          assert.ok(stored.includes(row), `${row} emitted before it was stored`);
          emitted.push(row);
        },
        pino({ level: 'silent' }),
        (d) => degraded.push(d),
      ),
  );
  for (const n of [1, 2, 3]) for (const q of queues) q.push(`m${n}`);
  await Promise.all(queues.map((q) => q.drain()));
  for (const who of ['alice', 'bob']) {
    assert.deepEqual(emitted.filter((e) => e.startsWith(who)), [1, 2, 3].map((n) => `${who}:m${n}`), `${who}: every stanza once, in order`);
    assert.deepEqual(stored.filter((e) => e.startsWith(who)), [1, 2, 3].map((n) => `${who}:m${n}`), `${who}: stored once each, in order`);
  }
  assert.ok(degraded.includes(true) && degraded.at(-1) === false, 'the tabs were told of the outage and of its end');
});

const T = new Date('2024-01-01T00:00:00Z');
function msg(over: Partial<NewMessage> = {}): NewMessage {
  return {
    accountId: '1', peer: 'bob@example.test', direction: 'in', fromJid: 'bob@example.test/phone', toJid: 'me@example.test/parley', type: 'chat',
    body: 'hi', encrypted: null, messageId: null, originId: null, stanzaId: null, stamp: T, state: 'received', ...over,
  };
}
let nextId = 100;
function row(m: NewMessage): MessageRow {
  return {
    attachmentUrl: null, attachmentName: null, attachmentSize: null, attachmentType: null, claimedStamp: null, replyToId: null, replyToJid: null,
    replyFallbackStart: null, replyFallbackEnd: null, nick: null, senderJid: null, occupantId: null, mentionsMe: false, moderatedAt: null,
    moderatedBy: null, moderationReason: null, originSender: '', ...m, id: String(nextId++), createdAt: T,
  };
}

test('returned rows are matched to their messages: conflicts get null, look-alikes in insertion order, any account', () => {
  const a = msg({ stanzaId: 's1', body: 'first' });
  const dupInBatch = msg({ stanzaId: 's1', body: 'same stanza-id, later' });
  const storedBefore = msg({ originId: 'o1' }); // conflicted with a row stored earlier: not returned
  const plain1 = msg({ body: 'no ids' });
  const plain2 = msg({ body: 'no ids' });
  const other = msg({ accountId: '2', stanzaId: 's1', body: 'first' }); // same keys, another account
  const rows = [row(a), row(plain1), row(plain2), row(other)].reverse(); // RETURNING order is not relied on
  const matched = matchInserted([a, dupInBatch, storedBefore, plain1, plain2, other], rows);
  assert.deepEqual(
    matched.map((r) => r && r.id),
    [rows[3]!.id, null, null, rows[2]!.id, rows[1]!.id, rows[0]!.id],
  );
  assert.deepEqual(matchInserted([a], []), [null]);
});

test('with keyOf, a key with an item in a running write waits for it: one conversation\'s items are written in order, others go on beside', async () => {
  const writes: string[][] = [];
  let release!: () => void;
  const first = new Promise<void>((r) => (release = r));
  const group = new GroupCommit<string, string>(
    async (items) => {
      writes.push([...items]);
      if (writes.length === 1) await first;
      return items.map((value) => ({ status: 'fulfilled' as const, value }));
    },
    { maxItems: 100, maxInFlight: 4, keyOf: (item) => item.split(':')[0]! },
  );
  const all = [group.add('a:1'), group.add('b:1')];
  await new Promise((r) => setImmediate(r));
  all.push(group.add('a:2'), group.add('c:1'), group.add('a:3'));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(writes, [['a:1', 'b:1'], ['c:1']], 'a waits while its first write runs; c does not');
  release();
  await Promise.all(all);
  assert.deepEqual(writes, [['a:1', 'b:1'], ['c:1'], ['a:2', 'a:3']]);
});
