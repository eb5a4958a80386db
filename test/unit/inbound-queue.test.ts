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
