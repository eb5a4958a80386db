/** `npm run bench`: prints the figures we track. Each section starts its own Prosody, database and Parley. */
import { benchCore } from './core.js';
import { benchSync } from './sync.js';
import { benchOmemo } from './omemo.js';
import { benchHostile } from './hostile.js';
import { benchClient } from './client.js';
import { benchRoster } from './roster.js';
import { benchFiles } from './files.js';
import { benchSearch } from './search.js';
import { benchRooms } from './rooms.js';

const sections: [string, (report: (line: string) => void) => Promise<void>][] = [
  ['core', benchCore],
  ['sync', benchSync],
  ['omemo', benchOmemo],
  ['hostile', benchHostile],
  ['client', (report) => benchClient(report)],
  ['roster', benchRoster],
  ['files', benchFiles],
  ['search', benchSearch],
  ['rooms', benchRooms],
  ['capacity', async (report) => (await import('./capacity.js')).benchCapacity(report)],
];
const only = process.argv.slice(2);

for (const [name, run] of sections) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n## ${name}`);
  const t0 = Date.now();
  await run((line) => console.log(`- ${line}`));
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
