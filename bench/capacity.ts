/**
 * Capacity (issue #12): a login storm past the login gate, session restore after a restart, RSS per idle account, the
 * event loop's longest stall during the storm; each beside its raw floor measured in the same run.
 *
 * Figures at 1,000 accounts always. PARLEY_BENCH_10K=1 adds the 10,000-account step: 9,000 more form logins into the
 * restarted instance, then RSS per idle account over 10,000, and the raw floor of 10,000 plain connections in a process
 * of their own (after Parley stopped: one process cannot hold 2 × 10,000 sockets under `ulimit -n` 20,000). That step
 * takes several minutes on this 2-core machine (account creation ~15 s, the logins most of it).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile, rm, mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { TestProsody } from '../test/harness/prosody.js';
import { createTestDatabase } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { HttpBrowser } from '../test/harness/parley.js';
import { ParleyProcess } from '../test/harness/parley-process.js';
import { RawXmpp } from '../test/harness/xmpp-raw.js';
import { until } from '../test/harness/poll.js';
import type { Reporter } from './report.js';
import { cpuMs, selfCpuMs } from './cpu.js';

const ACCOUNTS = 1000;
const BIG = 10_000;
const CONCURRENCY = 32;
const QUEUE = 256;

type User = { jid: string; password: string };
type Salted = { salted?: { salt: string; iterations: number; value: Buffer } };

const KiB = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const rate = (n: number, ms: number) => (n * 1000) / ms;
const perSecond = (n: number, ms: number) => `${((n * 1000) / ms).toFixed(0)}/s`;

/** `count` tasks, `concurrency` at a time (a pool); resolves with the elapsed ms. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  }));
  return performance.now() - t0;
}

/** The raw floor of a login: SCRAM-SHA-1 with native PBKDF2 (or a cached SaltedPassword), resource bound, nothing else. */
async function rawLogins(prosody: TestProsody, users: User[], caches: Salted[]): Promise<number> {
  const conns: RawXmpp[] = [];
  const ms = await pool(users.length, CONCURRENCY, async (i) => {
    conns.push(await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid: users[i]!.jid, password: users[i]!.password, scram: caches[i]!, timeoutMs: 60_000 }));
  });
  await Promise.all(conns.map((c) => c.close()));
  return ms;
}

/**
 * Raw logins (cached SaltedPassword) that then ask Prosody for what a fresh Parley session asks, in the same order
 * (server/xmpp/account-session.ts startXmppSession): stream management, roster, the server's disco#info, block list,
 * carbons, presence, CSI, the account's disco#info, a page of its archive, its bookmarks. The floor of a restore that
 * keeps Parley's features; the difference to Parley's restore is Parley's own.
 */
async function rawFullSessions(prosody: TestProsody, users: User[], caches: Salted[]): Promise<number> {
  const conns: RawXmpp[] = [];
  const ms = await pool(users.length, CONCURRENCY, async (i) => {
    const c = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid: users[i]!.jid, password: users[i]!.password, scram: caches[i]!, timeoutMs: 60_000 });
    conns.push(c);
    const bare = users[i]!.jid;
    c.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    await c.waitFor((el) => el.name === 'enabled' || el.name === 'failed', 60_000);
    await c.iq(`<iq type='get'><query xmlns='jabber:iq:roster' ver=''/></iq>`, 60_000);
    await c.iq(`<iq type='get' to='${prosody.domain}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, 60_000);
    await c.iq(`<iq type='get'><blocklist xmlns='urn:xmpp:blocking'/></iq>`, 60_000);
    await c.iq(`<iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>`, 60_000);
    c.send(`<presence/><inactive xmlns='urn:xmpp:csi:0'/>`);
    await c.iq(`<iq type='get' to='${bare}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, 60_000);
    await c.iq(`<iq type='set'><query xmlns='urn:xmpp:mam:2' queryid='q${i}'><set xmlns='http://jabber.org/protocol/rsm'><max>250</max><before/></set></query></iq>`, 60_000);
    await c.iq(`<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>`, 60_000).catch(() => undefined); // item-not-found: none yet
  });
  await Promise.all(conns.map((c) => c.close()));
  return ms;
}

/** RSS and heap growth per connection of N idle raw connections, in a process of their own. */
async function rawIdle(prosody: TestProsody, users: User[]): Promise<{ rssPerConn: number; heapPerConn: number; connections: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-capacity-'));
  const file = path.join(dir, 'users.json');
  await writeFile(file, JSON.stringify(users));
  try {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/capacity-raw-idle.ts'], {
      env: { ...process.env, RAW_HOST: '127.0.0.1', RAW_PORT: String(prosody.c2sPort), RAW_USERS: file, RAW_CONCURRENCY: String(CONCURRENCY) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    if (code !== 0) throw new Error(`raw idle floor exited with ${code}: ${out}`);
    return JSON.parse(out.trim().split('\n').at(-1)!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function scrape(parley: ParleyProcess): Promise<string> {
  return (await fetch(`${parley.url}/metrics`)).text();
}
function metric(text: string, name: string): number {
  const escaped = name.replace(/[{}"=|.]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Form logins with "keep me signed in", `concurrency` at a time; a busy answer waits its Retry-After and tries again. */
async function formLogins(parley: ParleyProcess, users: User[], concurrency: number): Promise<{ ms: number; busy: number }> {
  let busy = 0;
  const ms = await pool(users.length, concurrency, async (i) => {
    for (;;) {
      const browser = new HttpBrowser(parley.url);
      const res = await browser.login(users[i]!.jid, users[i]!.password, { remember: 'on' }).catch(() => null);
      if (!res) {
        busy++; // a kept-alive socket closed under the request (see the storm): try again
        continue;
      }
      if (res.status === 303) return;
      if (res.status !== 503) throw new Error(`login of ${users[i]!.jid}: ${res.status} ${res.html.slice(0, 300)}`);
      busy++;
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  return { ms, busy };
}

export async function benchCapacity(report: Reporter): Promise<void> {
  const big = process.env.PARLEY_BENCH_10K === '1';
  const prosody = await TestProsody.start({ scramIterations: 4096 });
  const db = await createTestDatabase();
  const port = await freePort();
  const env = {
    NODE_ENV: 'production', // as deployed: express caches the compiled views (without it every busy page compiles login.ejs)
    DATABASE_URL: db.url,
    PARLEY_SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-02',
    PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
    PARLEY_XMPP_REQUIRE_TLS: 'false',
    PARLEY_LOGIN_ATTEMPTS: '1000000',
    PARLEY_MAX_SESSIONS: '20000',
    PARLEY_LOGIN_CONCURRENCY: String(CONCURRENCY),
    PARLEY_LOGIN_QUEUE: String(QUEUE),
    PARLEY_RESTORE_CONCURRENCY: String(CONCURRENCY),
    PARLEY_XMPP_TIMEOUT: '60',
  };
  let parley: ParleyProcess | null = null;
  try {
    let t0 = performance.now();
    const users = await prosody.createUsers('cap', big ? BIG + 1 : ACCOUNTS + 1, (i) => `cap-pw-${i}`);
    report(`set-up: ${users.length} Prosody accounts at 4,096 SCRAM iterations in ${((performance.now() - t0) / 1000).toFixed(1)} s (one admin shell); load average ${loadavg()[0]!.toFixed(1)}`);
    const warm = users[users.length - 1]!;
    const storm = users.slice(0, ACCOUNTS);

    // Raw floors of a login: 1,000 SCRAM logins at the gate's concurrency, then the same with each cached SaltedPassword.
    const caches: Salted[] = storm.map(() => ({}));
    const prosodyPid = Number(readFileSync(path.join(prosody.dir, 'prosody.pid'), 'utf8'));
    let cpu = { self: selfCpuMs(), prosody: cpuMs(prosodyPid) };
    const rawFresh = await rawLogins(prosody, storm, caches);
    const rawFreshCpu = { client: selfCpuMs() - cpu.self, prosody: cpuMs(prosodyPid) - cpu.prosody };
    cpu = { self: selfCpuMs(), prosody: cpuMs(prosodyPid) };
    const rawCached = await rawLogins(prosody, storm, caches);
    const rawCachedCpu = { client: selfCpuMs() - cpu.self, prosody: cpuMs(prosodyPid) - cpu.prosody };
    cpu = { self: selfCpuMs(), prosody: cpuMs(prosodyPid) };
    const rawFull = await rawFullSessions(prosody, storm, caches);
    const rawFullCpu = { client: selfCpuMs() - cpu.self, prosody: cpuMs(prosodyPid) - cpu.prosody };
    const perLogin = (c: { client: number; prosody: number }) => `${(c.client / ACCOUNTS).toFixed(1)} ms client + ${(c.prosody / ACCOUNTS).toFixed(1)} ms Prosody CPU per login`;

    // A first start applies the migrations: the figures come from starts that do not.
    parley = await ParleyProcess.start(env, port);
    await parley.stop();
    parley = await ParleyProcess.start(env, port);
    // One session first: code loading and first-use allocations belong to the baseline.
    const w = await new HttpBrowser(parley.url).login(warm.jid, warm.password);
    if (w.status !== 303) throw new Error(`warm-up login failed: ${w.status}`);
    await new Promise((r) => setTimeout(r, 3000));
    const rssBase = parley.rss();

    // The storm: every browser has its form first, then 1,000 posts leave at once.
    const browsers = await Promise.all(storm.map(async (u) => ({ u, browser: new HttpBrowser(parley!.url), token: '' })));
    await pool(browsers.length, 50, async (i) => void (browsers[i]!.token = await browsers[i]!.browser.csrf('/login')));
    await scrape(parley); // prom-client's nodejs_eventloop_lag_* restart at each scrape: from here on it is the storm's
    const stormCpu0 = { parley: cpuMs(parley.proc.pid!), prosody: cpuMs(prosodyPid) };
    t0 = performance.now();
    let lastAdmitted = 0;
    let resets = 0;
    const answers = await Promise.all(
      browsers.map(async ({ u, browser, token }) => {
        try {
          const res = await browser.post('/login', { jid: u.jid, password: u.password, _csrf: token, remember: 'on' });
          await res.arrayBuffer();
          if (res.status === 303) lastAdmitted = performance.now();
          return res.status;
        } catch {
          // A kept-alive socket of the form fetch that the server closed as the post left (its 5 s keep-alive
          // timeout, on a loaded machine): no answer from Parley at all. Counted; the retries below log it in.
          resets++;
          return 0;
        }
      }),
    );
    const stormMs = performance.now() - t0;
    const stormCpu = { parley: cpuMs(parley.proc.pid!) - stormCpu0.parley, prosody: cpuMs(prosodyPid) - stormCpu0.prosody };
    const during = await scrape(parley);
    const stormLoad = loadavg()[0]!;
    const admitted = answers.filter((s) => s === 303).length;
    const busy = answers.filter((s) => s === 503).length;
    const other = answers.length - admitted - busy - resets;
    report(
      `login storm, 1,000 form posts at once (gate ${CONCURRENCY} in flight + ${QUEUE} waiting): ${admitted} sessions in ${((lastAdmitted - t0) / 1000).toFixed(1)} s ` +
        `(${perSecond(admitted, lastAdmitted - t0)}), ${busy} answered 503 busy${other ? `, ${other} OTHER answers` : ''}${resets ? `, ${resets} kept-alive sockets closed under the post` : ''}, all answered in ${(stormMs / 1000).toFixed(1)} s ` +
        `(${(stormCpu.parley / admitted).toFixed(1)} ms Parley + ${(stormCpu.prosody / admitted).toFixed(1)} ms Prosody CPU per session, busy answers included); ` +
        `raw floor: 1,000 SCRAM-SHA-1 logins (native PBKDF2, bind) at concurrency ${CONCURRENCY}: ${perSecond(ACCOUNTS, rawFresh)} (${perLogin(rawFreshCpu)})`,
    );
    report.figure({ name: 'login storm of 1,000: sessions per second', unit: '/s', parley: rate(admitted, lastAdmitted - t0), raw: rate(ACCOUNTS, rawFresh), note: `SCRAM 4,096; Parley: form post to session, ${busy} answered 503 busy; raw: plain logins at the same concurrency (${CONCURRENCY})` });
    report.figure({ name: 'login storm: answered busy', unit: 'logins', parley: busy, raw: null, note: 'no floor: a plain client has no admission gate' });
    report(
      `event loop during the storm: longest stall ${(metric(during, 'nodejs_eventloop_lag_max_seconds') * 1000).toFixed(0)} ms, p99 ${(metric(during, 'nodejs_eventloop_lag_p99_seconds') * 1000).toFixed(0)} ms ` +
        `(since start: max ${(metric(during, 'parley_event_loop_delay_seconds{stat="max"}') * 1000).toFixed(0)} ms; load average ${stormLoad.toFixed(1)}: time the process waits for a core counts as delay); raw floor: an idle loop's 10 ms sampling resolution`,
    );
    report.figure({ name: 'login storm: longest event-loop stall', unit: 'ms', parley: metric(during, 'nodejs_eventloop_lag_max_seconds') * 1000, raw: null, note: 'no floor; at a high load average the wait for a core counts as delay' });
    // The refused try again (waiting a little each time) until every one is in.
    const refused = storm.filter((_, i) => answers[i] !== 303);
    const retry = await formLogins(parley, refused, CONCURRENCY);
    report(`the ${refused.length} refused logged in afterwards, ${CONCURRENCY} at a time, in ${(retry.ms / 1000).toFixed(1)} s (${perSecond(refused.length, retry.ms)}; ${retry.busy} busy again)`);
    await until(async () => metric(await scrape(parley!), 'parley_logged_in_accounts') === ACCOUNTS + 1, 'every storm login live', 60_000, 200);
    await new Promise((r) => setTimeout(r, 12_000)); // past PARLEY_AWAY_AFTER, buffers settled
    const rssForm = parley.rss();

    // Restore: SIGTERM, start again, until all 1,000 remembered sessions are live.
    await parley.stop();
    t0 = performance.now();
    parley = await ParleyProcess.start(env, port);
    const listening = performance.now();
    const restoreCpu0 = { parley: cpuMs(parley.proc.pid!), prosody: cpuMs(prosodyPid) };
    await until(async () => metric(await scrape(parley!), 'parley_logged_in_accounts') >= ACCOUNTS, 'all sessions restored', 300_000, 250);
    const restoreCpu = { parley: cpuMs(parley.proc.pid!) - restoreCpu0.parley, prosody: cpuMs(prosodyPid) - restoreCpu0.prosody };
    // (The restored sessions' archive catch-ups and bookmark fetches may still run: "live" is the XMPP session online.)
    const restoreMs = performance.now() - listening;
    report(
      `restore after a restart, ${ACCOUNTS} remembered accounts (4,096 iterations, cached SCRAM keys, ${CONCURRENCY} side by side): ${(restoreMs / 1000).toFixed(1)} s after listening ` +
        `(${perSecond(ACCOUNTS, restoreMs)}; ${((performance.now() - t0) / 1000).toFixed(1)} s from spawn; ${(restoreCpu.parley / ACCOUNTS).toFixed(1)} ms Parley + ${(restoreCpu.prosody / ACCOUNTS).toFixed(1)} ms Prosody CPU per account); ` +
        `raw floor: ${ACCOUNTS} logins with the cached SaltedPassword at ${CONCURRENCY}: ${perSecond(ACCOUNTS, rawCached)} (${perLogin(rawCachedCpu)})`,
    );
    report.figure({ name: 'session restore of 1,000 after a restart', unit: '/s', parley: rate(ACCOUNTS, restoreMs), raw: rate(ACCOUNTS, rawCached), note: 'SCRAM 4,096 with cached keys; raw: plain logins with the cached SaltedPassword at the same concurrency' });
    report(`raw floor with Parley's session set-up (SM, roster, disco, block list, carbons, presence, CSI, archive page, bookmarks) after the same cached login: ${perSecond(ACCOUNTS, rawFull)} (${perLogin(rawFullCpu)})`);
    report.figure({ name: "session restore of 1,000: beside a raw client with Parley's session set-up", unit: '/s', parley: rate(ACCOUNTS, restoreMs), raw: rate(ACCOUNTS, rawFull), note: `raw: cached login, then the same requests as a fresh Parley session; ${(rawFullCpu.prosody / ACCOUNTS).toFixed(1)} ms Prosody CPU per session (Parley's restore: ${(restoreCpu.prosody / ACCOUNTS).toFixed(1)} ms)` });
    await new Promise((r) => setTimeout(r, 12_000));
    const rssRestored = parley.rss();

    const raw1k = await rawIdle(prosody, users.slice(0, ACCOUNTS));
    report(
      `server RSS per idle account at ${ACCOUNTS} (no tab): ${KiB((rssForm - rssBase) / ACCOUNTS)} logged in through the form, ` +
        `${KiB((rssRestored - rssBase) / ACCOUNTS)} restored (RSS ${MiB(rssBase)} -> ${MiB(rssForm)} / ${MiB(rssRestored)}); raw floor: ${KiB(raw1k.rssPerConn)} RSS, ${KiB(raw1k.heapPerConn)} heap per plain connection (xmpp-raw.ts, PLAIN, bind, presence)`,
    );
    report.figure({ name: `RSS per idle account at ${ACCOUNTS} (restored)`, unit: 'KiB', parley: (rssRestored - rssBase) / ACCOUNTS / 1024, raw: raw1k.rssPerConn / 1024, note: 'no tab; raw: a process of plain connections (PLAIN, bind, presence)' });
    report.figure({ name: `RSS per idle account at ${ACCOUNTS} (form logins)`, unit: 'KiB', parley: (rssForm - rssBase) / ACCOUNTS / 1024, raw: raw1k.rssPerConn / 1024, note: 'includes what the storm left for the GC' });

    if (big) {
      t0 = performance.now();
      const more = await formLogins(parley, users.slice(ACCOUNTS, BIG), CONCURRENCY);
      await until(async () => metric(await scrape(parley!), 'parley_logged_in_accounts') >= BIG, `${BIG} sessions live`, 600_000, 1000);
      await new Promise((r) => setTimeout(r, 15_000));
      const rssBig = parley.rss();
      report(
        `${BIG - ACCOUNTS} more form logins in ${(more.ms / 1000).toFixed(0)} s (${perSecond(BIG - ACCOUNTS, more.ms)}, ${more.busy} busy answers); ` +
          `server RSS per idle account at ${BIG}: ${KiB((rssBig - rssBase) / BIG)} (RSS ${MiB(rssBase)} with one session -> ${MiB(rssBig)})`,
      );
      await parley.stop();
      parley = null;
      const raw10k = await rawIdle(prosody, users.slice(0, BIG));
      report(`raw floor at ${BIG}: ${KiB(raw10k.rssPerConn)} RSS, ${KiB(raw10k.heapPerConn)} heap per plain connection (${raw10k.connections} in one process)`);
      report.figure({ name: `RSS per idle account at ${BIG}`, unit: 'KiB', parley: (rssBig - rssBase) / BIG / 1024, raw: raw10k.rssPerConn / 1024 });
    }
  } finally {
    await parley?.stop();
    await prosody.stop();
    await db.drop();
  }
}
