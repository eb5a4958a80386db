/** The virtual list's geometry (client/ui/virtual/layout.ts) against a naive model that sums heights one by one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualLayout } from '../../client/ui/virtual/layout.js';
import { seededRandom } from '../harness/seeded-random.js';

const random = seededRandom;

/** What the layout should say, computed the slow, obvious way. */
class NaiveLayout {
  keys: string[] = [];
  heights = new Map<string, number>();
  constructor(
    public estimate: number,
    public gap: number,
  ) {}
  height(key: string): number {
    return this.heights.get(key) ?? this.estimate;
  }
  offsetOf(index: number): number {
    let y = 0;
    for (let i = 0; i < index && i < this.keys.length; i++) y += this.height(this.keys[i]!) + this.gap;
    return index >= this.keys.length && this.keys.length > 0 ? y - this.gap : y;
  }
  /** The first item whose box (height + the gap after it) reaches past `y`. */
  indexAt(y: number): number {
    let top = 0;
    for (let i = 0; i < this.keys.length; i++) {
      top += this.height(this.keys[i]!) + this.gap;
      if (top > y) return i;
    }
    return this.keys.length - 1;
  }
}

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} != ${expected}`);

test('offsets, total height and indexAt agree with a naive model through random prepends, appends, removals, reorders and height changes', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = random(seed);
    const gap = Math.floor(rnd() * 8);
    const fast = new VirtualLayout(30, gap);
    const slow = new NaiveLayout(30, gap);
    let next = 0;
    const fresh = (n: number) => Array.from({ length: n }, () => `k${next++}`);
    for (let step = 0; step < 60; step++) {
      const op = rnd();
      let keys = [...slow.keys];
      if (op < 0.25) keys = [...fresh(1 + Math.floor(rnd() * 20)), ...keys];
      else if (op < 0.45) keys = [...keys, ...fresh(1 + Math.floor(rnd() * 20))];
      else if (op < 0.55) keys = [...fresh(Math.floor(rnd() * 5)), ...keys, ...fresh(Math.floor(rnd() * 5))];
      else if (op < 0.65 && keys.length) keys.splice(Math.floor(rnd() * keys.length), 1 + Math.floor(rnd() * 3));
      else if (op < 0.7) keys.sort(() => rnd() - 0.5);
      else if (op < 0.75 && keys.length) keys.splice(Math.floor(rnd() * keys.length), 0, ...fresh(2));
      else {
        for (let i = 0; i < 10 && keys.length; i++) {
          const key = keys[Math.floor(rnd() * keys.length)]!;
          const h = 1 + Math.floor(rnd() * 500) + (rnd() < 0.3 ? 0.5 : 0);
          fast.setHeight(key, h);
          slow.heights.set(key, h);
        }
      }
      fast.setKeys(keys);
      slow.keys = keys;
      for (const k of [...slow.heights.keys()]) if (!keys.includes(k)) slow.heights.delete(k);
      if (rnd() < 0.05) {
        const g = Math.floor(rnd() * 8);
        fast.setGap(g);
        slow.gap = g;
      }

      assert.equal(fast.count, keys.length);
      close(fast.totalHeight, slow.offsetOf(keys.length), `seed ${seed} step ${step} total`);
      for (let probe = 0; probe < 20 && keys.length; probe++) {
        const i = Math.floor(rnd() * keys.length);
        close(fast.offsetOf(i), slow.offsetOf(i), `seed ${seed} step ${step} offsetOf(${i})`);
        assert.equal(fast.indexOf(keys[i]!), i);
        const y = rnd() * (slow.offsetOf(keys.length) + 50);
        assert.equal(fast.indexAt(y), slow.indexAt(y), `seed ${seed} step ${step} indexAt(${y})`);
      }
    }
  }
});

test('range covers exactly the items that intersect the viewport and its overscan', () => {
  const layout = new VirtualLayout(20);
  layout.setKeys(Array.from({ length: 100 }, (_, i) => `m${i}`));
  layout.setHeight('m0', 100); // m0 0..100, m1 100..120, m2 120..140, ...
  assert.deepEqual(layout.range(0, 100, 0), { start: 0, end: 1 });
  assert.deepEqual(layout.range(0, 101, 0), { start: 0, end: 2 });
  assert.deepEqual(layout.range(110, 20, 0), { start: 1, end: 3 });
  assert.deepEqual(layout.range(110, 20, 15), { start: 0, end: 4 });
  assert.deepEqual(layout.range(10_000, 100, 0), { start: 99, end: 100 });
  assert.deepEqual(new VirtualLayout(20).range(0, 100, 50), { start: 0, end: 0 });
});

test('an anchor taken before a prepend of 50 older items gives the scroll position that keeps the same item on the same pixel', () => {
  const layout = new VirtualLayout(40, 4);
  const keys = Array.from({ length: 100 }, (_, i) => `m${i + 50}`);
  layout.setKeys(keys);
  keys.forEach((k, i) => layout.setHeight(k, 20 + (i % 7) * 13));
  const scrollTop = 333;
  const anchor = layout.anchorAt(scrollTop)!;
  assert.ok(anchor.offsetWithinViewport <= 0 && anchor.offsetWithinViewport > -100);
  const top = layout.offsetOfKey(anchor.key)!;

  const older = Array.from({ length: 50 }, (_, i) => `m${i}`);
  layout.setKeys([...older, ...keys]);
  const after = layout.scrollTopFor(anchor)!;
  close(after - scrollTop, 50 * (40 + 4), 'the prepended estimate is added above');
  close(layout.offsetOfKey(anchor.key)! - after, top - scrollTop, 'the anchor keeps its on-screen offset');

  // Older items get measured (taller than the estimate): the position follows.
  for (const k of older) layout.setHeight(k, 90);
  close(layout.scrollTopFor(anchor)! - scrollTop, 50 * (90 + 4), 'the measured heights above are added');
});

test('the anchor is the first item at least partly visible (a gap at the top edge belongs to the next item)', () => {
  const layout = new VirtualLayout(10, 5);
  layout.setKeys(['a', 'b', 'c']); // a 0..10, gap, b 15..25, gap, c 30..40
  assert.deepEqual(layout.anchorAt(0), { key: 'a', offsetWithinViewport: 0 });
  assert.deepEqual(layout.anchorAt(9), { key: 'a', offsetWithinViewport: -9 });
  assert.deepEqual(layout.anchorAt(12), { key: 'b', offsetWithinViewport: 3 });
  assert.equal(layout.totalHeight, 40);
  assert.equal(new VirtualLayout(10).anchorAt(0), null);
});

test('a removed anchor gives no scroll position; removal above moves the anchor up by the removed slot', () => {
  const layout = new VirtualLayout(10, 0);
  layout.setKeys(['a', 'b', 'c', 'd']);
  const anchor = layout.anchorAt(25)!;
  assert.equal(anchor.key, 'c');
  layout.setKeys(['b', 'c', 'd']);
  assert.equal(layout.scrollTopFor(anchor), 15);
  layout.setKeys(['b', 'd']);
  assert.equal(layout.scrollTopFor(anchor), null);
});

test('measured heights survive a re-keying (a reordered roster keeps them by key)', () => {
  const layout = new VirtualLayout(10);
  layout.setKeys(['a', 'b', 'c']);
  layout.setHeight('a', 50);
  layout.setKeys(['c', 'b', 'a']);
  assert.equal(layout.offsetOfKey('a'), 20);
  assert.equal(layout.isMeasured('a'), true);
  assert.equal(layout.isMeasured('b'), false);
  assert.equal(layout.totalHeight, 70);
  assert.throws(() => layout.setKeys(['x', 'y', 'x']), /duplicate key/);
});

test('100,000 items: 50 prepended pages of 50 number only the new keys (no re-keying of the 100,000), and range() is cheap', () => {
  const layout = new VirtualLayout(60, 5);
  let keys = Array.from({ length: 100_000 }, (_, i) => `m${i}`);
  layout.setKeys(keys);
  assert.equal(layout.fullRekeys, 1);
  let worst = 0;
  for (let page = 0; page < 50; page++) {
    keys = [...Array.from({ length: 50 }, (_, i) => `p${page}-${i}`), ...keys, `new${page}`];
    const t0 = performance.now();
    layout.setKeys(keys);
    worst = Math.max(worst, performance.now() - t0);
  }
  assert.equal(layout.fullRekeys, 1, 'prepends and appends took the fast path');
  assert.equal(layout.count, 102_550);
  assert.equal(layout.indexOf('m0'), 2500);
  assert.equal(layout.indexOf('new49'), 102_549);
  assert.equal(layout.offsetOfKey('m0'), 2500 * 65);
  layout.setKeys([...keys].reverse());
  assert.equal(layout.fullRekeys, 2, 'a reorder re-keys');
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) layout.range((i * 997) % layout.totalHeight, 800, 400);
  // Timings are printed, not asserted: a loaded machine must not fail the test.
  console.log(`# slowest prepend ${worst.toFixed(2)} ms; range() ${(((performance.now() - t0) / 10_000) * 1000).toFixed(2)} µs`);
});
