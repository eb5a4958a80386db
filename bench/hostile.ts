/**
 * Hostile XMPP server figures (issue 13): with accounts on a hostile server, how much the others notice.
 * - another account's tab -> tab p99, quiet and while a hostile account is flooded with 50,000 messages;
 * - Parley's RSS before, at its peak during, and 10 s after that flood;
 * - /healthz latency while a hostile server streams one element of 200 MB that never closes.
 */
import { randomUUID } from 'node:crypto';
import { TestProsody } from '../test/harness/prosody.js';
import { createTestDatabase } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { HttpBrowser, type TestTab } from '../test/harness/parley.js';
import { ParleyProcess } from '../test/harness/parley-process.js';
import { HostileXmppServer } from '../test/harness/hostile-xmpp.js';
import { summary } from './stats.js';
import type { Reporter } from './report.js';

const FLOOD = 50_000;
const NEVER_CLOSING_BYTES = 200 * 2 ** 20;
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

export async function benchHostile(report: Reporter): Promise<void> {
  const prosody = await TestProsody.start({ scramIterations: 4096 });
  const hostile = await HostileXmppServer.start();
  const db = await createTestDatabase();
  const port = await freePort();
  const parley = await ParleyProcess.start(
    {
      DATABASE_URL: db.url,
      PARLEY_SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-01',
      PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort},${hostile.service}`,
      PARLEY_XMPP_REQUIRE_TLS: 'false',
      PARLEY_LOGIN_ATTEMPTS: '10000',
      PARLEY_SOCKET_RATE: '10000',
      PARLEY_SOCKET_BURST: '10000',
    },
    port,
  );
  const tabs: TestTab[] = [];
  try {
    const [a, b] = await Promise.all([0, 1].map((i) => prosody.createUser(`hb${i}`, `pw${i}`).then((jid) => ({ jid, password: `pw${i}` }))));
    const tabOf = async (jid: string, password: string) => {
      const browser = new HttpBrowser(parley.url);
      const res = await browser.login(jid, password);
      if (res.status !== 303) throw new Error(`login of ${jid} failed: ${res.status} ${res.html.slice(0, 300)}`);
      const tab = browser.tab();
      tabs.push(tab);
      await tab.waitFor('hello');
      return tab;
    };
    const tabA = await tabOf(a!.jid, a!.password);
    const tabB = await tabOf(b!.jid, b!.password);
    const roundTrip = async () => {
      const body = `hb ${randomUUID()}`;
      const t0 = performance.now();
      const arrived = tabB.waitFor('message', (e) => e.message.body === body, 60_000);
      await tabA.command('send', { to: b!.jid, body, originId: randomUUID() }, 60_000);
      await arrived;
      return performance.now() - t0;
    };

    const quiet: number[] = [];
    for (let i = 0; i < 300; i++) quiet.push(await roundTrip());
    const q = summary(quiet);
    const noFloor = 'no raw floor here: what counts is during against quiet, on the same Parley (the core section has tab -> tab beside raw A -> B)';
    report.figure({ name: 'quiet: tab(A) -> tab(B) p50', unit: 'ms', parley: q.p50, raw: null, note: `n=${q.n}; ${noFloor}` });
    report.figure({ name: 'quiet: tab(A) -> tab(B) p99', unit: 'ms', parley: q.p99, raw: null });

    // The flood: one hostile account gets 50,000 messages as fast as the socket takes them.
    const floodLogin = tabOf(`flood@${hostile.domain}`, 'any');
    const flooded = await hostile.sessionOf(`flood@${hostile.domain}`);
    await floodLogin;
    await new Promise((r) => setTimeout(r, 2000));
    const rssBefore = parley.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, parley.rss())), 100);
    const t0 = Date.now();
    let floodDone = false;
    let written = 0;
    const flood = flooded.flood(FLOOD).then((n) => {
      written = n;
      floodDone = true;
    });
    const during: number[] = [];
    let timeouts = 0;
    while ((!floodDone || Date.now() - t0 < 10_000) && Date.now() - t0 < 60_000) {
      try {
        during.push(await roundTrip());
      } catch {
        timeouts++;
      }
    }
    await flood;
    const floodMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 10_000));
    clearInterval(sampler);
    const rssAfter = parley.rss();
    const d = summary(during);
    report(`flood of ${FLOOD} messages to another account (${written} written by the hostile server in ${(floodMs / 1000).toFixed(1)} s, its stream ${flooded.streamErrors.length ? `closed by Parley with <${flooded.streamErrors.join(', ')}/>` : 'never closed by Parley'})`);
    report.figure({ name: 'during the flood: tab(A) -> tab(B) p50', unit: 'ms', parley: d.p50, raw: null, note: `n=${d.n}, ${timeouts} failed or timed out; p99 ${(d.p99 / q.p99).toFixed(1)}x the quiet p99` });
    report.figure({ name: 'during the flood: tab(A) -> tab(B) p99', unit: 'ms', parley: d.p99, raw: null });
    const rssNote = 'Parley process RSS; no floor: the flood goes to Parley alone';
    report.figure({ name: 'RSS before the flood', unit: 'MiB', parley: rssBefore / 2 ** 20, raw: null, note: rssNote });
    report.figure({ name: 'RSS peak during the flood', unit: 'MiB', parley: peak / 2 ** 20, raw: null });
    report.figure({ name: 'RSS 10 s after the flood', unit: 'MiB', parley: rssAfter / 2 ** 20, raw: null });

    // One element of 200 MB that never closes, streamed as fast as Parley reads it; /healthz polled meanwhile.
    const slowLogin = tabOf(`slow@${hostile.domain}`, 'any');
    const slow = await hostile.sessionOf(`slow@${hostile.domain}`);
    await slowLogin;
    let stop = false;
    const streaming = slow.neverClosing(NEVER_CLOSING_BYTES, 64 * 1024, () => stop);
    const health: number[] = [];
    const h0 = Date.now();
    let streamed = -1;
    void streaming.then((n) => (streamed = n));
    while ((streamed < 0 || Date.now() - h0 < 5000) && Date.now() - h0 < 30_000) {
      const t = performance.now();
      const res = await fetch(`${parley.url}/healthz`);
      await res.text();
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    const sent = await streaming;
    slow.socket.destroy();
    const h = summary(health);
    report.figure({
      name: '/healthz while a 200 MB element never closes, p50',
      unit: 'ms',
      parley: h.p50,
      raw: null,
      note:
        `n=${h.n}; the hostile server got ${MiB(sent)} of it into the socket (kernel buffers included) in ${((Date.now() - h0) / 1000).toFixed(1)} s` +
        (slow.streamErrors.length ? `, then Parley closed the stream with <${slow.streamErrors.join(', ')}/>` : ', Parley never closed the stream') +
        '; no floor: a health check has no Parley-free equivalent',
    });
    report.figure({ name: '/healthz while a 200 MB element never closes, p99', unit: 'ms', parley: h.p99, raw: null });
    report.figure({ name: '/healthz while a 200 MB element never closes, max', unit: 'ms', parley: h.max, raw: null });
    report.figure({ name: 'RSS after the never-closing element', unit: 'MiB', parley: parley.rss() / 2 ** 20, raw: null });
  } finally {
    for (const t of tabs) t.close();
    await parley.stop();
    await hostile.stop();
    await prosody.stop();
    await db.drop();
  }
}
