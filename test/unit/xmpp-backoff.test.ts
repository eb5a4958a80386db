import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffDelay } from '../../server/xmpp/backoff.js';

test('full jitter: delay spans 0..ceiling, ceiling doubles per attempt', () => {
  assert.equal(backoffDelay(0, { random: () => 0 }), 0);
  assert.equal(backoffDelay(0, { random: () => 0.999999 }), 1000);
  assert.equal(backoffDelay(3, { random: () => 0.999999 }), 8000);
  assert.equal(backoffDelay(3, { random: () => 0.5 }), 4000);
});

test('capped at maxMs, even for huge attempt counts', () => {
  assert.equal(backoffDelay(6, { random: () => 1 }), 60_000);
  assert.equal(backoffDelay(10_000, { random: () => 1 }), 60_000);
  assert.equal(backoffDelay(10_000, { random: () => 1, maxMs: 5000 }), 5000);
});

test('minMs is a floor', () => {
  assert.equal(backoffDelay(0, { random: () => 0, minMs: 250 }), 250);
  assert.equal(backoffDelay(0, { random: () => 1, minMs: 250 }), 1000);
});

test('real random delays stay within bounds', () => {
  for (let attempt = 0; attempt < 20; attempt++) {
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt);
      assert.ok(d >= 0 && d <= Math.min(60_000, 1000 * 2 ** attempt), `attempt ${attempt}: ${d}`);
    }
  }
});

test('Backoff grows per attempt and resets only after a stable connection', () => {
  let now = 0;
  const b = new Backoff({ random: () => 1, stableMs: 30_000 }, () => now);
  assert.deepEqual([b.next(), b.next(), b.next()], [1000, 2000, 4000]);
  b.succeeded();
  now += 5_000; // dropped again quickly: no reset, no storm
  b.dropped();
  assert.equal(b.next(), 8000);
  b.succeeded();
  now += 60_000; // stayed up a minute: start over
  b.dropped();
  assert.equal(b.next(), 1000);
});

test('a penalized connection never counts as stable: the attempts keep growing however long it lasted', () => {
  let now = 0;
  const b = new Backoff({ stableMs: 1000 }, () => now);
  b.next();
  b.succeeded();
  now += 60_000; // long enough to be trusted...
  b.penalize(); // ...but the server broke a stream bound
  b.dropped();
  assert.equal(b.attempts, 1);
  b.next();
  assert.equal(b.attempts, 2);
});
