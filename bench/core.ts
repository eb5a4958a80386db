/**
 * Core figures (issue "Parley core"): login time, tab-to-tab message latency between two accounts,
 * last 50 of 100,000 stored messages, RSS per idle logged-in account.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TestProsody } from '../test/harness/prosody.js';
import { createTestDatabase } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { HttpBrowser, type TestTab } from '../test/harness/parley.js';
import { ParleyProcess } from '../test/harness/parley-process.js';
import { summary, ms } from './stats.js';

export async function benchCore(report: (line: string) => void): Promise<void> {
  const prosody = await TestProsody.start({ scramIterations: 4096 });
  const db = await createTestDatabase();
  const port = await freePort();
  const parley = await ParleyProcess.start(
    {
      DATABASE_URL: db.url,
      PARLEY_SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-01',
      PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
      PARLEY_XMPP_REQUIRE_TLS: 'false',
      PARLEY_LOGIN_ATTEMPTS: '10000',
      PARLEY_SOCKET_RATE: '10000',
      PARLEY_SOCKET_BURST: '10000',
    },
    port,
  );
  const tabs: TestTab[] = [];
  try {
    const users = await Promise.all(Array.from({ length: 202 }, (_, i) => prosody.createUser(`bench${i}`, `pw${i}`).then((jid) => ({ jid, password: `pw${i}` }))));

    // Login: form post to the first 'hello' on a socket (what a person waits for), SCRAM-SHA-1 at 4096 iterations.
    const loginTimes: number[] = [];
    const [a, b] = [users[0]!, users[1]!];
    const sides: { tab: TestTab; jid: string }[] = [];
    for (const u of [a, b]) {
      const t0 = performance.now();
      const browser = new HttpBrowser(parley.url);
      const res = await browser.login(u.jid, u.password);
      if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
      const tab = browser.tab();
      await tab.waitFor('hello');
      loginTimes.push(performance.now() - t0);
      tabs.push(tab);
      sides.push({ tab, jid: u.jid });
    }

    // Message latency: A's tab sends, until B's tab has the 'message' event. One at a time.
    const latencies: number[] = [];
    const [sender, receiver] = sides as [{ tab: TestTab; jid: string }, { tab: TestTab; jid: string }];
    for (let i = 0; i < 1000; i++) {
      const body = `bench ${i} ${randomUUID()}`;
      const t0 = performance.now();
      const arrived = new Promise<void>((resolve) => {
        const onMsg = (e: { message: { body: string | null } }) => {
          if (e.message.body === body) {
            receiver.tab.socket.off('message', onMsg);
            resolve();
          }
        };
        receiver.tab.socket.on('message', onMsg);
      });
      await sender.tab.command('send', { to: receiver.jid, body, originId: randomUUID() });
      await arrived;
      latencies.push(performance.now() - t0);
    }
    const lat = summary(latencies);
    report(`message tab(A) -> tab(B), stored + fanned out: p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)}, max ${ms(lat.max)} (n=${lat.n})`);

    // History: 100,000 messages in one conversation (bulk-inserted), last 50 through the socket and straight from SQL.
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM "Account" WHERE jid = $1', [a.jid]);
    const accountId = rows[0]!.id;
    const peer = `history-peer@${prosody.domain}`;
    const start = Date.now() - 100_000 * 1000;
    for (let chunk = 0; chunk < 100; chunk++) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const n = chunk * 1000 + i;
        const o = values.length;
        values.push(accountId, peer, n % 2 ? 'in' : 'out', `m${n}`, new Date(start + n * 1000));
        tuples.push(`($${o + 1}, $${o + 2}, $${o + 3}, $${o + 2}, $${o + 2}, 'chat', $${o + 4}, $${o + 5}, 'received', now())`);
      }
      await pool.query(`INSERT INTO "Message" ("accountId", peer, direction, "fromJid", "toJid", type, body, stamp, state, "createdAt") VALUES ${tuples.join(',')}`, values);
    }
    await pool.query('ANALYZE "Message"');
    const historyTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const page = await sender.tab.command('history', { peer, limit: 50 });
      historyTimes.push(performance.now() - t0);
      if (page.messages[0]?.body !== 'm99999') throw new Error('history returned the wrong page');
    }
    const smallPeer = receiver.jid;
    const smallTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await sender.tab.command('history', { peer: smallPeer, limit: 50 });
      smallTimes.push(performance.now() - t0);
    }
    await pool.end();
    const h = summary(historyTimes);
    const s = summary(smallTimes);
    report(`last 50 of 100,000 messages (socket command round trip): p50 ${ms(h.p50)}, p99 ${ms(h.p99)}; of a 1,000-message conversation: p50 ${ms(s.p50)}`);

    // Memory: 200 more accounts logged in and idle (no tab open).
    await new Promise((r) => setTimeout(r, 1000));
    const rssBefore = parley.rss();
    for (let i = 2; i < 202; i += 10) {
      await Promise.all(
        users.slice(i, i + 10).map(async (u) => {
          const t0 = performance.now();
          const res = await new HttpBrowser(parley.url).login(u.jid, u.password);
          if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
          loginTimes.push(performance.now() - t0);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 3000));
    const rssAfter = parley.rss();
    const login = summary(loginTimes);
    report(`login (form post -> XMPP session online, SCRAM 4096 iterations): p50 ${ms(login.p50)}, p99 ${ms(login.p99)} (n=${login.n}, 10 concurrent)`);
    report(`server RSS per idle logged-in account: ${((rssAfter - rssBefore) / 200 / 1024).toFixed(1)} KiB (RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(rssAfter / 2 ** 20).toFixed(1)} MiB over 200 accounts)`);
  } finally {
    for (const t of tabs) t.close();
    await parley.stop();
    await prosody.stop();
    await db.drop();
  }
}
