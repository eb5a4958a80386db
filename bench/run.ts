/**
 * `npm run bench [section…]`: prints the figures we track, each beside its raw floor, as a table per section, and writes
 * bench/results/<section>-<time>.json. Each section starts its own Prosody, database and Parley. Without arguments every
 * section runs; a failing section is reported and the others still run (the exit code says so).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCore } from './core.js';
import { benchSync } from './sync.js';
import { benchOmemo } from './omemo.js';
import { benchHostile } from './hostile.js';
import { benchClient } from './client.js';
import { benchRoster } from './roster.js';
import { benchFiles } from './files.js';
import { benchSearch } from './search.js';
import { benchRooms } from './rooms.js';
import { figureTable, sectionReporter, writeSectionResult, type Section } from './report.js';

/** Sections in the old style, `(report: (line: string) => void) => Promise<void>`, fit too: the reporter is callable. */
const sections: [string, Section][] = [
  ['core', benchCore],
  ['sync', benchSync],
  ['omemo', benchOmemo],
  ['hostile', benchHostile],
  ['client', (report) => benchClient(report)],
  ['roster', benchRoster],
  ['files', benchFiles],
  ['search', benchSearch],
  ['rooms', benchRooms],
  ['throughput', async (report) => (await import('./throughput.js')).benchThroughput(report)],
  ['capacity', async (report) => (await import('./capacity.js')).benchCapacity(report)],
];
const only = process.argv.slice(2);
const unknown = only.filter((name) => !sections.some(([s]) => s === name));
if (unknown.length) {
  console.error(`unknown bench section(s): ${unknown.join(', ')}; known: ${sections.map(([s]) => s).join(', ')}`);
  process.exit(2);
}
const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
const started = Date.now();

for (const [name, run] of sections) {
  if (only.length && !only.includes(name)) continue;
  const { reporter, result } = sectionReporter(name);
  console.log(`\n## ${name} (load average ${result.loadAverageAtStart.join(' ')} on ${result.cpus} CPUs)`);
  const t0 = Date.now();
  try {
    await run(reporter);
  } catch (err) {
    result.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    console.error(`section ${name} failed: ${result.error}`);
    process.exitCode = 1;
  }
  result.durationS = Math.round((Date.now() - t0) / 100) / 10;
  const table = figureTable(result.figures);
  if (table) console.log(`\n${table}\n`);
  console.log(`  (${result.durationS.toFixed(1)} s; ${await writeSectionResult(resultsDir, result)})`);
}
console.log(`\nbench done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
