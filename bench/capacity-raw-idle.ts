/**
 * The raw floor of bench/capacity.ts's memory figure, run as its own process (spawned by it with --expose-gc): N plain
 * connections of test/harness/xmpp-raw.ts logged in (SASL PLAIN, resource bound, initial presence) and left idle; prints
 * one JSON line with this process's RSS and heap growth per connection. Usage (env): RAW_HOST, RAW_PORT, RAW_USERS (a JSON
 * file of {jid, password}), RAW_CONCURRENCY.
 */
import { readFileSync } from 'node:fs';
import { RawXmpp } from '../test/harness/xmpp-raw.js';

const users = JSON.parse(readFileSync(process.env.RAW_USERS!, 'utf8')) as { jid: string; password: string }[];
const concurrency = Number(process.env.RAW_CONCURRENCY ?? 32);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const settle = async () => {
  await new Promise((r) => setTimeout(r, 1000));
  gc();
  await new Promise((r) => setTimeout(r, 500));
};

// One connection first, so that code loading and first-use allocations are in the baseline.
const warm = await RawXmpp.login({ host: process.env.RAW_HOST!, port: Number(process.env.RAW_PORT), jid: users[0]!.jid, password: users[0]!.password, timeoutMs: 60_000 });
warm.send('<presence/>');
await settle();
const before = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
const conns: RawXmpp[] = [];
let next = 1;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < users.length) {
      const u = users[next++]!;
      const c = await RawXmpp.login({ host: process.env.RAW_HOST!, port: Number(process.env.RAW_PORT), jid: u.jid, password: u.password, timeoutMs: 60_000 });
      c.send('<presence/>');
      conns.push(c);
    }
  }),
);
await settle();
const after = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
console.log(JSON.stringify({ connections: conns.length, rssPerConn: (after.rss - before.rss) / conns.length, heapPerConn: (after.heap - before.heap) / conns.length, rss: after.rss }));
await Promise.all([warm, ...conns].map((c) => c.close()));
process.exit(0);
