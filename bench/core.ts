/**
 * Core figures (issue "Parley core"), each beside its raw floor on the same Prosody and database:
 * - tab(A) -> tab(B) message latency, one at a time; floor: A -> B between two raw XMPP clients;
 * - last 50 of 100,000 stored messages through the socket; floor: the store's own SELECT straight through `pg`;
 * - login time (SCRAM-SHA-1, 4,096 iterations); floor: plain XmppConnection logins with native pbkdf2, as many at once;
 * - RSS per idle logged-in account; floor: RSS growth of a Node process holding as many plain connections.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TestProsody } from '../test/harness/prosody.js';
import { createTestDatabase } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { HttpBrowser, type TestTab } from '../test/harness/parley.js';
import { ParleyProcess } from '../test/harness/parley-process.js';
import { RawXmpp } from '../test/harness/xmpp-raw.js';
import { summary } from './stats.js';
import { rawClients } from './raw-clients.js';
import type { Reporter } from './report.js';

const LATENCY_SAMPLES = 1000;
const IDLE_ACCOUNTS = 200;
const LOGINS_AT_ONCE = 10;
const SETTLE_MS = 3000;
const HISTORY_SQL = `SELECT * FROM "Message" WHERE "accountId" = $1 AND peer = $2 ORDER BY stamp DESC, id DESC LIMIT $3`;

/** A -> B between two raw clients (no Parley): B is available, A sends to B's bare JID as Parley does. */
async function rawLatency(prosody: TestProsody, n: number): Promise<number[]> {
  const login = async (name: string) => {
    const jid = await prosody.createUser(name, 'pw');
    const conn = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid, password: 'pw' });
    conn.send('<presence/>');
    return { jid, conn };
  };
  const [a, b] = [await login('raw-a'), await login('raw-b')];
  try {
    // B's own presence coming back means the server has it available.
    await b.conn.waitFor((el) => el.name === 'presence' && el.attrs.from === b.conn.jid);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = `raw-${i}-${randomUUID()}`;
      b.conn.received.length = 0;
      const t0 = performance.now();
      a.conn.send(`<message to='${b.jid}' type='chat' id='${id}'><body>bench ${i}</body></message>`);
      await b.conn.waitFor((el) => el.name === 'message' && el.attrs.id === id);
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    await a.conn.close();
    await b.conn.close();
  }
}

export async function benchCore(report: Reporter): Promise<void> {
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
    const users = await Promise.all(Array.from({ length: IDLE_ACCOUNTS + 2 }, (_, i) => prosody.createUser(`bench${i}`, `pw${i}`).then((jid) => ({ jid, password: `pw${i}` }))));

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
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
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
    const rawLat = summary(await rawLatency(prosody, LATENCY_SAMPLES));
    const latNote = `one at a time, n=${lat.n}; Parley: send command -> stored + fanned out -> B's socket event; raw: two plain clients, A's <message> -> B`;
    report.figure({ name: 'message tab(A) -> tab(B) p50', unit: 'ms', parley: lat.p50, raw: rawLat.p50, note: latNote });
    report.figure({ name: 'message tab(A) -> tab(B) p99', unit: 'ms', parley: lat.p99, raw: rawLat.p99 });
    report.figure({ name: 'message tab(A) -> tab(B) max', unit: 'ms', parley: lat.max, raw: rawLat.max });

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
    // The floor: the store's own query for that page (server/store/messages.ts MessageStore.page), straight through pg.
    const sqlTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const page = await pool.query<{ body: string }>(HISTORY_SQL, [accountId, peer, 50]);
      sqlTimes.push(performance.now() - t0);
      if (page.rows[0]?.body !== 'm99999') throw new Error('the SQL floor returned the wrong page');
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
    const q = summary(sqlTimes);
    const s = summary(smallTimes);
    report.figure({ name: 'last 50 of 100,000 messages p50', unit: 'ms', parley: h.p50, raw: q.p50, note: 'Parley: history command round trip over the socket; raw: the same SELECT through pg (n=50 each)' });
    report.figure({ name: 'last 50 of 100,000 messages p99', unit: 'ms', parley: h.p99, raw: q.p99 });
    report.figure({ name: 'last 50 of a short conversation p50', unit: 'ms', parley: s.p50, raw: null, note: 'the same command on a conversation of about 1,000 messages: no floor of its own, it shows the cost does not grow with history length' });

    // The floors first, on the same accounts: the same logins, as many at once, from a process of plain connections.
    const idle = users.slice(2, 2 + IDLE_ACCOUNTS);
    const raw = await rawClients({ service: `xmpp://127.0.0.1:${prosody.c2sPort}`, users: idle, concurrency: LOGINS_AT_ONCE, settleMs: SETTLE_MS });

    // Memory: 200 more accounts logged in and idle (no tab open).
    await new Promise((r) => setTimeout(r, 1000));
    const rssBefore = parley.rss();
    for (let i = 0; i < idle.length; i += LOGINS_AT_ONCE) {
      await Promise.all(
        idle.slice(i, i + LOGINS_AT_ONCE).map(async (u) => {
          const t0 = performance.now();
          const res = await new HttpBrowser(parley.url).login(u.jid, u.password);
          if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
          loginTimes.push(performance.now() - t0);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rssAfter = parley.rss();
    const login = summary(loginTimes);
    const rawLogin = summary(raw.loginMs);
    report.figure({
      name: 'login p50',
      unit: 'ms',
      parley: login.p50,
      raw: rawLogin.p50,
      note: `SCRAM-SHA-1 at 4,096 iterations, ${LOGINS_AT_ONCE} at once (n=${login.n}); Parley: form post -> XMPP session online (the first two until the tab's hello); raw: plain XmppConnection login, native pbkdf2`,
    });
    report.figure({ name: 'login p99', unit: 'ms', parley: login.p99, raw: rawLogin.p99 });
    report.figure({
      name: 'RSS per idle logged-in account',
      unit: 'KiB',
      parley: (rssAfter - rssBefore) / IDLE_ACCOUNTS / 1024,
      raw: (raw.rssAfter - raw.rssBefore) / IDLE_ACCOUNTS / 1024,
      note:
        `over ${IDLE_ACCOUNTS} accounts; Parley's RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(rssAfter / 2 ** 20).toFixed(1)} MiB; ` +
        `raw: a Node process holding ${IDLE_ACCOUNTS} plain connections, ${(raw.rssBefore / 2 ** 20).toFixed(1)} -> ${(raw.rssAfter / 2 ** 20).toFixed(1)} MiB`,
    });
  } finally {
    for (const t of tabs) t.close();
    await parley.stop();
    await prosody.stop();
    await db.drop();
  }
}
