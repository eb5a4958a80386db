/** bench/report.ts: figures beside their raw floor, the section table, the JSON file, and old-style line reporters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { figureTable, ratio, sectionReporter, writeSectionResult, type Reporter } from '../../bench/report.js';

test('figures and lines are kept in order; the reporter is also a plain line function (old-style sections)', () => {
  const printed: string[] = [];
  const { reporter, result } = sectionReporter('demo', (t) => printed.push(t));
  const oldStyle = (report: (line: string) => void) => report('a free line');
  oldStyle(reporter);
  reporter.line('another line');
  reporter.figure({ name: 'latency p50', unit: 'ms', parley: 12.5, raw: 0.25, note: 'one at a time' });
  reporter.figure({ name: 'frames', unit: 'frames', parley: 3 });
  assert.deepEqual(result.lines, ['a free line', 'another line']);
  assert.deepEqual(result.figures, [
    { name: 'latency p50', unit: 'ms', parley: 12.5, raw: 0.25, note: 'one at a time' },
    { name: 'frames', unit: 'frames', parley: 3, raw: null },
  ]);
  assert.equal(printed[0], '- a free line');
  assert.match(printed[2]!, /latency p50: 12\.5 ms \(raw floor 0\.25 ms\)/);
  assert.equal(result.section, 'demo');
  assert.equal(result.loadAverageAtStart.length, 3);
  assert.ok(result.cpus >= 1);
});

test('a figure that is not a number is refused with its name, not printed as NaN', () => {
  const { reporter } = sectionReporter('demo', () => undefined);
  assert.throws(() => reporter.figure({ name: 'broken', unit: 'ms', parley: NaN }), /"broken": Parley value NaN/);
  assert.throws(() => reporter.figure({ name: 'broken raw', unit: 'ms', parley: 1, raw: Infinity }), /"broken raw": raw floor Infinity/);
  assert.throws(() => reporter.figure({ name: '', unit: 'ms', parley: 1 }), /without name or unit/);
});

test('the table: figure | Parley | raw floor | ratio, a dash without a floor, numbered notes', () => {
  const table = figureTable([
    { name: 'latency p50', unit: 'ms', parley: 12, raw: 0.5, note: 'first note' },
    { name: 'rss', unit: 'KiB', parley: 100, raw: null, note: 'no floor: why' },
    { name: 'rate', unit: 'msg/s', parley: 200, raw: 0 },
  ]).split('\n');
  assert.match(table[0]!, /^\| figure +\| +Parley \| raw floor \| ratio \(Parley\/raw\) \|$/);
  assert.match(table[1]!, /^\|-+\|-+:\|-+:\|-+:\|$/);
  assert.match(table[2]!, /^\| latency p50 \[1\] +\| +12 ms \| +0\.50 ms \| +24× \|$/);
  assert.match(table[3]!, /^\| rss \[2\] +\| +100 KiB \| +— \| +— \|$/);
  assert.match(table[4]!, /^\| rate +\| +200 msg\/s \| +0 msg\/s \| +— \|$/);
  assert.deepEqual(table.slice(5), ['[1] first note', '[2] no floor: why']);
  assert.equal(figureTable([]), '');
  assert.equal(ratio({ name: 'x', unit: 'ms', parley: 3, raw: 2 }), 1.5);
});

test('the JSON file is named after the section and its start time, and holds everything', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-report-'));
  try {
    const { reporter, result } = sectionReporter('core', () => undefined);
    (reporter as Reporter).figure({ name: 'login p50', unit: 'ms', parley: 300, raw: 30 });
    result.durationS = 1.5;
    const file = await writeSectionResult(dir, result);
    assert.match(path.basename(file), /^core-\d{8}T\d{6}Z\.json$/);
    const back = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(back, JSON.parse(JSON.stringify(result)));
    assert.equal(back.figures[0].raw, 30);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
