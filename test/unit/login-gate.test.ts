/** The login gate: a bounded number of logins in flight, a bounded queue in arrival order, the rest refused at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GateBusy, LoginGate } from '../../server/xmpp/login-gate.js';

/** A task that finishes when the test says so. */
function deferred(): { task: () => Promise<string>; finish: (v: string) => void; started: () => boolean } {
  let finish!: (v: string) => void;
  let began = false;
  const done = new Promise<string>((r) => (finish = r));
  return { task: () => ((began = true), done), finish, started: () => began };
}

const tick = () => new Promise((r) => setImmediate(r));

test('at most `concurrency` tasks run; the queue waits in arrival order; past the queue a login is refused at once', async () => {
  const gate = new LoginGate({ concurrency: 2, queue: 2 });
  const tasks = Array.from({ length: 5 }, deferred);
  const results = tasks.map((t) => gate.run(t.task).then((v) => v, (e: unknown) => e));
  await tick();
  assert.deepEqual(tasks.map((t) => t.started()), [true, true, false, false, false]);
  assert.deepEqual(gate.stats(), { inFlight: 2, waiting: 2, admitted: 2, failed: 0, refused: 1 });
  const refusal = await results[4];
  assert.ok(refusal instanceof GateBusy);
  assert.ok(refusal.retryAfterSeconds >= 1 && refusal.retryAfterSeconds <= 60);

  tasks[1]!.finish('b');
  assert.equal(await results[1], 'b');
  await tick();
  // The freed slot goes to the first waiter, not the second.
  assert.deepEqual(tasks.map((t) => t.started()), [true, true, true, false, false]);
  tasks[0]!.finish('a');
  tasks[2]!.finish('c');
  await tick();
  assert.ok(tasks[3]!.started());
  tasks[3]!.finish('d');
  assert.deepEqual(await Promise.all(results.slice(0, 4)), ['a', 'b', 'c', 'd']);
  assert.deepEqual(gate.stats(), { inFlight: 0, waiting: 0, admitted: 4, failed: 0, refused: 1 });
});

test('a failing task frees its slot and its error reaches the caller', async () => {
  const gate = new LoginGate({ concurrency: 1, queue: 1 });
  const failing = gate.run(() => Promise.reject(new Error('not-authorized')));
  const next = gate.run(async () => 'next');
  await assert.rejects(failing, /not-authorized/);
  assert.equal(await next, 'next');
  assert.deepEqual(gate.stats(), { inFlight: 0, waiting: 0, admitted: 2, failed: 1, refused: 0 });
});

test('an unbounded run (start-up restores) waits however long the queue is and is never refused', async () => {
  const gate = new LoginGate({ concurrency: 1, queue: 0 });
  const first = deferred();
  const running = gate.run(first.task);
  await assert.rejects(gate.run(async () => 'refused'), GateBusy);
  const waiting = Array.from({ length: 50 }, (_, i) => gate.run(async () => i, { bounded: false }));
  assert.equal(gate.stats().waiting, 50);
  first.finish('x');
  await running;
  assert.deepEqual(await Promise.all(waiting), Array.from({ length: 50 }, (_, i) => i));
});

test('limits are read at each admission: lowering the concurrency takes effect as tasks finish', async () => {
  const limits = { concurrency: 3, queue: 10 };
  const gate = new LoginGate(limits);
  const tasks = Array.from({ length: 5 }, deferred);
  const results = tasks.map((t) => gate.run(t.task));
  await tick();
  assert.equal(gate.stats().inFlight, 3);
  limits.concurrency = 1;
  tasks[0]!.finish('a');
  tasks[1]!.finish('b');
  await tick();
  // Two finished but one is still running: no waiter may start until it is alone under the new limit.
  assert.deepEqual(tasks.map((t) => t.started()), [true, true, true, false, false]);
  tasks[2]!.finish('c');
  await tick();
  assert.ok(tasks[3]!.started());
  assert.ok(!tasks[4]!.started());
  tasks[3]!.finish('d');
  await tick();
  tasks[4]!.finish('e');
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd', 'e']);
});

test('a long queue is compacted without losing or reordering waiters (a storm of 5,000 named logins)', async () => {
  const gate = new LoginGate({ concurrency: 1, queue: 10_000 });
  const order: number[] = [];
  await Promise.all(Array.from({ length: 5000 }, (_, i) => gate.run(async () => void order.push(i))));
  assert.deepEqual(order, Array.from({ length: 5000 }, (_, i) => i));
});
