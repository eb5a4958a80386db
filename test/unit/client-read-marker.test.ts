import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadMarker } from '../../client/state/read-marker.js';

/** A send function whose answers the test gives by hand. */
function manualSend() {
  const calls: { peer: string; id: string; answer: (ok: boolean) => void }[] = [];
  const send = (peer: string, id: string) =>
    new Promise<void>((resolve, reject) => calls.push({ peer, id, answer: (ok) => (ok ? resolve() : reject(new Error('refused'))) }));
  return { calls, send };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('one markDisplayed in flight per conversation; what was shown meanwhile collapses into the newest', async () => {
  const { calls, send } = manualSend();
  const marker = new ReadMarker(send, 0);
  assert.equal(marker.shown('bob@x', '10'), true);
  for (const id of ['11', '12', '13']) marker.shown('bob@x', id);
  assert.equal(marker.shown('bob@x', '9'), false, 'older than what is on its way');
  assert.deepEqual(calls.map((c) => c.id), ['10']);
  calls[0]!.answer(true);
  await settle();
  assert.deepEqual(calls.map((c) => c.id), ['10', '13']);
  calls[1]!.answer(true);
  await settle();
  assert.equal(marker.shown('bob@x', '13'), false, 'already marked: idempotent');
  assert.ok(marker.idle('bob@x'));
  // Another conversation has its own pace.
  marker.shown('carol@x', '5');
  assert.deepEqual(calls.map((c) => c.id), ['10', '13', '5']);
});

test('a refused mark is forgotten, so the next render sends it again (no retry loop)', async () => {
  const { calls, send } = manualSend();
  const marker = new ReadMarker(send, 0);
  marker.shown('bob@x', '10');
  calls[0]!.answer(false);
  await settle();
  assert.equal(calls.length, 1, 'not retried by itself');
  assert.equal(marker.shown('bob@x', '10'), true);
  assert.deepEqual(calls.map((c) => c.id), ['10', '10']);
});

test('at most one command per interval; the newest is sent when it ends', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 1000;
  const { calls, send } = manualSend();
  const marker = new ReadMarker(send, 300, () => now);
  marker.shown('bob@x', '1');
  calls[0]!.answer(true);
  await settle();
  marker.shown('bob@x', '2');
  marker.shown('bob@x', '3');
  assert.equal(calls.length, 1, 'waits for the interval');
  now += 300;
  t.mock.timers.tick(300);
  assert.deepEqual(calls.map((c) => c.id), ['1', '3']);
});
