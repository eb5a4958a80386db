/**
 * Search figures (issue #10): 1,000,000 messages in a fresh database (10 accounts of 100,000, 50 conversations each,
 * words drawn from a Zipf-like vocabulary, 5 % of the rows encrypted), bulk-loaded with multi-row INSERTs through pg
 * (the trigram index dropped during the load and built after it, as an import would). Then SearchStore.search as the
 * server runs it: first page (20 hits) for common, middling, rare and absent words, two-word queries, one
 * conversation; median and p95 over all of them.
 */
import pg from 'pg';
import { createTestDatabase } from '../test/harness/postgres.js';
import { openDatabase } from '../server/store/db.js';
import { AccountStore } from '../server/store/accounts.js';
import { SearchStore } from '../server/store/search.js';
import { searchTerms } from '../server/realtime/contract/search-text.js';
import { percentile } from './stats.js';
import type { Reporter } from './report.js';
import { seededRandom } from '../test/harness/seeded-random.js';

const ACCOUNTS = 10;
const PER_ACCOUNT = 100_000;
const PEERS = 50;
const VOCABULARY = 5000;
const ROWS_PER_INSERT = 2000;
const ROUNDS = 5;

const rng = seededRandom;

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ze', 'da', 'fe', 'gu', 'ho', 'ji', 'pa', 'qe', 'wy', 'xo', 'bri', 'sten'];

function vocabulary(): string[] {
  const r = rng(7);
  const words = new Set<string>();
  while (words.size < VOCABULARY) {
    let w = '';
    const n = 2 + Math.floor(r() * 3);
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(r() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

/** Zipf (s = 1) over ranks: a word of rank k is drawn with probability proportional to 1/k. */
function zipfSampler(n: number, r: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / (k + 1);
  return () => {
    const x = r() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function load(pool: pg.Pool, accountIds: string[], words: string[], perAccount = PER_ACCOUNT): Promise<void> {
  const r = rng(42);
  const pick = zipfSampler(words.length, r);
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  for (const accountId of accountIds) {
    for (let i = 0; i < perAccount; i += ROWS_PER_INSERT) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let j = i; j < Math.min(perAccount, i + ROWS_PER_INSERT); j++) {
        const peer = `peer${Math.floor(r() * PEERS)}@example.net`;
        const encrypted = r() < 0.05;
        const n = 4 + Math.floor(r() * 12);
        const body = encrypted ? 'I sent you an OMEMO encrypted message' : Array.from({ length: n }, () => words[pick()]).join(' ');
        const inbound = r() < 0.5;
        const o = values.length;
        values.push(accountId, peer, inbound ? 'in' : 'out', inbound ? peer : 'me@example.net', inbound ? 'me@example.net' : peer, body,
          encrypted ? '<encrypted xmlns="eu.siacs.conversations.axolotl"/>' : null, new Date(t0 + j * 60_000), inbound ? 'displayed' : 'sent');
        tuples.push(`($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}, $${o + 6}, $${o + 7}, $${o + 8}, $${o + 9})`);
      }
      await pool.query(
        `INSERT INTO "Message" ("accountId", peer, direction, "fromJid", "toJid", body, encrypted, stamp, state) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
  }
}

export async function benchSearch(report: Reporter): Promise<void> {
  const testDb = await createTestDatabase();
  const db = await openDatabase({ url: testDb.url, max: 4 });
  try {
    const accounts = new AccountStore(db);
    const accountIds: string[] = [];
    for (let a = 0; a < ACCOUNTS; a++) accountIds.push((await accounts.upsert(`bench${a}@example.net`)).id);
    const words = vocabulary();

    const indexDef = (await db.pool.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'Message_search_idx'`)).rows[0]!.def;
    await db.pool.query(`DROP INDEX "Message_search_idx"`);
    let t = performance.now();
    await load(db.pool, accountIds, words);
    const loadS = (performance.now() - t) / 1000;
    t = performance.now();
    await db.pool.query(indexDef);
    await db.pool.query(`ANALYZE "Message"`);
    const indexS = (performance.now() - t) / 1000;
    const total = Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "Message"`)).rows[0]!.n);
    report(`loaded ${total.toLocaleString('en')} messages in ${loadS.toFixed(1)} s (multi-row INSERT through pg), trigram index built in ${indexS.toFixed(1)} s`);

    const search = new SearchStore(db);
    const queries: { label: string; text: string; peer?: string }[] = [
      { label: 'most common word', text: words[0]! },
      { label: 'common (rank 10)', text: words[9]! },
      { label: 'middling (rank 300)', text: words[299]! },
      { label: 'rare (rank 4000)', text: words[3999]! },
      { label: 'rarest (rank 5000)', text: words[4999]! },
      { label: 'absent word', text: 'quuxbrimble' },
      { label: 'prefix of a common word', text: words[2]!.slice(0, 3) },
      { label: 'two common words', text: `${words[0]} ${words[4]}` },
      { label: 'common + rare', text: `${words[1]} ${words[3500]}` },
      { label: 'rare, one conversation', text: words[3000]!, peer: 'peer7@example.net' },
      { label: 'common, one conversation', text: words[3]!, peer: 'peer7@example.net' },
    ];
    const all: number[] = [];
    const perQuery: string[] = [];
    for (const q of queries) {
      const times: number[] = [];
      let hits = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const accountId = accountIds[round % accountIds.length]!;
        const s = performance.now();
        const page = await search.search({ accountId, terms: searchTerms(q.text), peer: q.peer, limit: 20 });
        times.push(performance.now() - s);
        hits = page.rows.length;
      }
      all.push(...times);
      times.sort((a, b) => a - b);
      perQuery.push(`${q.label} ${percentile(times, 50).toFixed(1)} ms (${hits} hits)`);
    }
    all.sort((a, b) => a - b);
    report.figure({
      name: `search over ${total.toLocaleString('en')} messages, first page of 20: median`,
      unit: 'ms',
      parley: percentile(all, 50),
      raw: null,
      note: `${all.length} searches (${queries.length} queries x ${ROUNDS}); SearchStore.search straight on PostgreSQL: it is the SQL itself, so there is no lower floor to set beside it`,
    });
    report.figure({ name: 'search: p95', unit: 'ms', parley: percentile(all, 95), raw: null });
    report.figure({ name: 'search: max', unit: 'ms', parley: all.at(-1)!, raw: null });
    report(`per query (median): ${perQuery.join('; ')}`);
  } finally {
    await db.close();
    await testDb.drop();
  }
}
