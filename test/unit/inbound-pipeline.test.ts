/**
 * The inbound queue's pipeline (features/inbound-queue.ts): plain messages of one account stored together through the
 * store's group commit (store/group-commit.ts), barriers in line, events in arrival order. The store is a fake here
 * (a list with a delay per write): the real one is exercised by test/integration/group-commit.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { InboundQueue, type Pipelined } from '../../server/features/inbound-queue.js';
import { GroupCommit } from '../../server/store/group-commit.js';

type Stanza = { kind: 'plain'; n: number } | { kind: 'correction'; of: number; body: string };

const unavailable = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A fake history: rows written in groups after a short delay; `down` fails whole writes as a database away would. */
function fakeHistory() {
  const rows = new Map<number, string>();
  const stored: number[] = [];
  const groups: number[][] = [];
  const state = { down: 0 };
  const group = new GroupCommit<number, void>(
    async (ns) => {
      await new Promise((r) => setTimeout(r, 2));
      if (state.down > 0) {
        state.down--;
        throw unavailable();
      }
      groups.push([...ns]);
      for (const n of ns) {
        rows.set(n, `message ${n}`);
        stored.push(n);
      }
      return ns.map(() => ({ status: 'fulfilled', value: undefined }));
    },
    { maxItems: 1000, maxInFlight: 4 },
  );
  return { rows, stored, groups, state, group };
}

function queueOver(history: ReturnType<typeof fakeHistory>, events: string[], degraded: boolean[] = [], maxInFlight = 64) {
  let inFlight = 0;
  const peak = { inFlight: 0 };
  const take = (s: Stanza): Pipelined | null =>
    s.kind !== 'plain'
      ? null
      : {
          store: async () => {
            peak.inFlight = Math.max(peak.inFlight, ++inFlight);
            try {
              await history.group.add(s.n);
            } finally {
              inFlight--;
            }
            return () => {
              assert.ok(history.rows.has(s.n), `message ${s.n} told before it was stored`);
              events.push(`message ${s.n}`);
            };
          },
        };
  const q = new InboundQueue<Stanza>(
    async (s) => {
      if (s.kind !== 'correction') return;
      // A barrier: every earlier store has settled, so its target is there.
      assert.ok(history.rows.has(s.of), 'the correction runs after its target is stored');
      assert.equal(history.stored.length, 200, 'the correction runs after every earlier store');
      history.rows.set(s.of, s.body);
      events.push(`correction ${s.of}`);
    },
    pino({ level: 'silent' }),
    (d) => degraded.push(d),
    null,
    { take, maxInFlight },
  );
  return { q, peak };
}

test('a burst of 200 plain messages then a correction of the 1st: stored in order, the correction applied after its target is stored, events in arrival order', async () => {
  const history = fakeHistory();
  const events: string[] = [];
  const { q, peak } = queueOver(history, events);
  for (let n = 1; n <= 200; n++) q.push({ kind: 'plain', n });
  q.push({ kind: 'correction', of: 1, body: 'corrected' });
  q.push({ kind: 'plain', n: 201 });
  await q.drain();
  const arrival = [...Array.from({ length: 200 }, (_, i) => `message ${i + 1}`), 'correction 1', 'message 201'];
  assert.deepEqual(events, arrival);
  assert.deepEqual(history.stored, Array.from({ length: 201 }, (_, i) => i + 1), 'stored in arrival order');
  assert.equal(history.rows.get(1), 'corrected');
  assert.ok(history.groups.length <= 10, `the burst shares group commits (${history.groups.length} writes for 201 messages)`);
  assert.ok(peak.inFlight > 1 && peak.inFlight <= 64, `stores in flight together, bounded (peak ${peak.inFlight})`);
  assert.deepEqual(history.groups.at(-1), [201], 'the message after the barrier waited for it');
});

test('the in-flight bound per account holds for a flood of 1,000 plain messages', async () => {
  const history = fakeHistory();
  const events: string[] = [];
  const { q, peak } = queueOver(history, events, [], 8);
  for (let n = 1; n <= 1000; n++) q.push({ kind: 'plain', n });
  await q.drain();
  assert.equal(peak.inFlight, 8);
  assert.deepEqual(events, Array.from({ length: 1000 }, (_, i) => `message ${i + 1}`));
});

test('a database outage during a pipelined burst: held and retried in arrival order, nothing told unstored, degraded until it passes', async () => {
  const history = fakeHistory();
  const events: string[] = [];
  const degraded: boolean[] = [];
  const { q } = queueOver(history, events, degraded);
  history.state.down = 3; // the first three writes fail, whatever they hold
  for (let n = 1; n <= 50; n++) q.push({ kind: 'plain', n });
  await q.drain();
  assert.deepEqual(events, Array.from({ length: 50 }, (_, i) => `message ${i + 1}`));
  assert.equal(new Set(history.stored).size, 50, 'every message stored once');
  assert.deepEqual(degraded, [true, false]);
});

test('a pipelined store failing for good (not an outage) is logged and skipped; the rest go on in order', async () => {
  const events: string[] = [];
  const q = new InboundQueue<number>(
    async () => undefined,
    pino({ level: 'silent' }),
    () => undefined,
    null,
    {
      take: (n) => ({
        store: async () => {
          if (n === 2) throw new Error('value too long');
          return () => void events.push(`message ${n}`);
        },
      }),
      maxInFlight: 4,
    },
  );
  for (const n of [1, 2, 3]) q.push(n);
  await q.drain();
  assert.deepEqual(events, ['message 1', 'message 3']);
});
