import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { InboundQueue, isDatabaseUnavailable } from '../../server/features/inbound-queue.js';

test('database outages are recognised through wrappers; data errors and bugs are not', () => {
  for (const err of [
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    new Error('Connection terminated unexpectedly'),
    new Error('Client has encountered a connection error and is not queryable'),
    Object.assign(new Error('adapter error'), { cause: Object.assign(new Error('x'), { code: '08006' }) }),
  ]) assert.equal(isDatabaseUnavailable(err), true, String(err));
  for (const err of [
    Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
    new TypeError("Cannot read properties of undefined (reading 'x')"),
    null,
  ]) assert.equal(isDatabaseUnavailable(err), false, String(err));
});

test('items are handled in order; an outage holds them and reports degraded until it passes', async () => {
  const done: number[] = [];
  const states: boolean[] = [];
  let down = 3;
  const q = new InboundQueue<number>(
    async (n) => {
      if (n === 2 && down-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      done.push(n);
    },
    pino({ level: 'silent' }),
    (d) => states.push(d),
  );
  for (const n of [1, 2, 3, 4]) q.push(n);
  await q.drain();
  assert.deepEqual(done, [1, 2, 3, 4]);
  assert.deepEqual(states, [true, false]);
});

test('exclusive work runs after what was pushed before it and before what is pushed after it; its error goes to the caller', async () => {
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new InboundQueue<string>(
    async (s) => {
      if (s === 'live-1') await gate; // a slow live stanza: the archive page must wait for it
      log.push(s);
    },
    pino({ level: 'silent' }),
    () => undefined,
  );
  q.push('live-1');
  const page = q.exclusive(async () => {
    log.push('page');
    return 42;
  });
  q.push('live-2');
  const failing = q.exclusive(async () => {
    throw new Error('page failed');
  });
  q.push('live-3');
  release();
  assert.equal(await page, 42);
  await assert.rejects(failing, /page failed/);
  await q.drain();
  assert.deepEqual(log, ['live-1', 'page', 'live-2', 'live-3']);
});

test('a closed queue stops retrying a held stanza and takes no new ones', async () => {
  let tries = 0;
  const handled: number[] = [];
  const q = new InboundQueue<number>(
    async (n) => {
      if (n === 1) {
        tries++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      handled.push(n);
    },
    pino({ level: 'silent' }),
    () => undefined,
  );
  q.push(1);
  assert.equal(await q.drainWithin(150), false, 'the database is down: not drained in time');
  q.close();
  q.push(2);
  assert.equal(await q.drainWithin(10_000), true, 'the held stanza gives up at its next try');
  const triesAtClose = tries;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(tries, triesAtClose, 'no retry after close');
  assert.deepEqual(handled, []);
  await assert.rejects(q.exclusive(async () => 1), /closed/);
});

test('back-pressure: the source is paused at the limit and resumed at half of it; nothing is dropped', async () => {
  const done: number[] = [];
  const pauses: [boolean, number][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new InboundQueue<number>(
    async (n) => {
      await gate;
      done.push(n);
    },
    pino({ level: 'silent' }),
    () => undefined,
    { limit: 10, pause: (paused) => pauses.push([paused, q.size]) },
  );
  for (let i = 0; i < 150_000; i++) q.push(i); // more than the old hard cap (100,000), which dropped the rest
  assert.deepEqual(pauses, [[true, 10]]);
  release();
  await q.drain();
  assert.equal(done.length, 150_000);
  assert.ok(done.every((n, i) => n === i));
  assert.deepEqual(pauses, [[true, 10], [false, 5]]);
});
