/**
 * Throughput knee (issue #12): stepped offered load over 100 account pairs, latency from the moment a message was due
 * to be sent until it is seen in the receiving tab (stored by Parley, then fanned out), beside the raw floor: the same
 * schedule between plain XMPP clients on the same Prosody, in the same run, step by step.
 *
 * Steps: inbound (an outside contact -> a Parley account's tab) at 100 to 5,000 msg/s (PARLEY_BENCH_STEPS), then tab ->
 * another account's tab at 100, 1,000, 3,000 msg/s (PARLEY_BENCH_TAB_STEPS). Each path's knee is the highest step
 * with every message delivered and p99 <= 50 ms; a side that loses messages at a step climbs no further. Latency is
 * counted from the scheduled send time, so a load generator that falls behind shows up in the figures instead of
 * hiding it (same for the raw floor). Each step also gives the CPU ms per message of Parley, Prosody, PostgreSQL (the
 * bench database's backends) and the load generator: on a shared machine that says which one bounds the rate.
 * PARLEY_BENCH_CPU_PROF=<dir>: Parley runs with --cpu-prof and writes its profile there when it stops.
 *
 * Prosody runs without its message archive (mod_mam), as the raw ceiling in NOTES was measured: with it, Prosody's
 * one thread archiving every message is the limit for the raw floor and Parley alike (~500-800 msg/s here), and the
 * figures say nothing about Parley. PARLEY_BENCH_ARCHIVE=1 keeps mod_mam.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { xml, type Element } from '@xmpp/xml';
import { TestProsody } from '../test/harness/prosody.js';
import { createTestDatabase } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { HttpBrowser, type TestTab } from '../test/harness/parley.js';
import { ParleyProcess } from '../test/harness/parley-process.js';
import { XmppPeer } from '../test/harness/xmpp-peer.js';
import { summary, ms } from './stats.js';
import type { Reporter } from './report.js';
import { CpuMeter, cpuMs, databaseOf, postgresCpuMs, selfCpuMs } from './cpu.js';

const PAIRS = 100;
const STEP_SECONDS = Number(process.env.PARLEY_BENCH_STEP_SECONDS ?? 4);
const steps = (value: string) => value.split(',').map(Number).filter((n) => n > 0);
const INBOUND_STEPS = steps(process.env.PARLEY_BENCH_STEPS ?? '100,1000,2000,3000,4000,5000');
const TAB_STEPS = steps(process.env.PARLEY_BENCH_TAB_STEPS ?? '100,1000,3000');
/** The knee: the highest offered rate whose p99 stays within this, every message delivered. */
const KNEE_P99_MS = 50;
/** How long after the last send a step waits for stragglers. */
const SETTLE_MS = 30_000;

/** One step's outcome at the receiving end. */
interface StepResult {
  offered: number;
  delivered: number;
  /** msg/s from the first due send to the last message seen. */
  achieved: number;
  p50: number;
  p99: number;
  /** CPU ms per delivered message, by component, during the step (sends and stragglers). */
  cpu: Record<Component, number>;
}

type Component = 'parley' | 'prosody' | 'postgres' | 'generator';
const cpuLine = (c: Record<Component, number>) =>
  `Parley ${c.parley.toFixed(2)}, Prosody ${c.prosody.toFixed(2)}, PostgreSQL ${c.postgres.toFixed(2)}, load generator ${c.generator.toFixed(2)} ms`;
const metKnee = (r: StepResult) => r.delivered === r.offered && r.p99 <= KNEE_P99_MS;

/** Collects "<tag> <seq> <due ms>" bodies as they arrive; resolves once `expected` have been seen or SETTLE_MS passed. */
class Arrivals {
  private readonly latencies: number[] = [];
  private last = 0;
  private wake: (() => void) | null = null;

  constructor(readonly tag: string, private readonly expected: number) {}

  seen(body: string | null | undefined): void {
    if (!body || !body.startsWith(`${this.tag} `)) return;
    const now = performance.now();
    this.latencies.push(now - Number(body.slice(body.lastIndexOf(' ') + 1)));
    this.last = now;
    if (this.latencies.length >= this.expected) this.wake?.();
  }

  async result(firstDue: number, sendsDone: Promise<void>): Promise<StepResult> {
    await sendsDone;
    if (this.latencies.length < this.expected) {
      const timer = new Promise<void>((r) => setTimeout(r, SETTLE_MS));
      await Promise.race([timer, new Promise<void>((r) => (this.wake = r))]);
    }
    const s = summary(this.latencies);
    const seconds = (this.last - firstDue) / 1000;
    return { offered: this.expected, delivered: s.n, achieved: s.n / seconds, p50: s.p50, p99: s.p99, cpu: { parley: 0, prosody: 0, postgres: 0, generator: 0 } };
  }
}

/**
 * Calls `send(i, dueMs)` for i = 0..rate*seconds-1 at `rate` per second, in 5 ms ticks (whatever is due by now is sent
 * in the tick). Returns the first due time and a promise for the end of the schedule.
 */
function schedule(rate: number, seconds: number, send: (i: number, due: number) => void): { start: number; done: Promise<void> } {
  const total = Math.round(rate * seconds);
  const start = performance.now() + 20;
  let next = 0;
  const done = new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total) {
        const due = start + (next * 1000) / rate;
        if (due > now) break;
        send(next, due);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, 5);
    };
    setTimeout(tick, 20);
  });
  return { start, done };
}

const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: randomUUID() }, xml('body', {}, body));

export async function benchThroughput(report: Reporter): Promise<void> {
  const archive = process.env.PARLEY_BENCH_ARCHIVE === '1';
  const prosody = await TestProsody.start({ archive });
  report(`Prosody ${archive ? 'with' : 'without'} mod_mam; ${STEP_SECONDS} s per step; latency from the scheduled send to the receiving tab (raw: the receiving client)`);
  const db = await createTestDatabase();
  const cpuProfileDir = process.env.PARLEY_BENCH_CPU_PROF;
  const parley = await ParleyProcess.start(
    {
      DATABASE_URL: db.url,
      PARLEY_SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-12',
      PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
      PARLEY_XMPP_REQUIRE_TLS: 'false',
      PARLEY_LOGIN_ATTEMPTS: '100000',
      PARLEY_SOCKET_RATE: '10000',
      PARLEY_SOCKET_BURST: '10000',
    },
    await freePort(),
    cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [],
  );
  const prosodyPid = Number(readFileSync(path.join(prosody.dir, 'prosody.pid'), 'utf8'));
  const database = databaseOf(db.url);
  const cpu = new CpuMeter<Component>({
    parley: () => cpuMs(parley.proc.pid!),
    prosody: () => cpuMs(prosodyPid),
    postgres: () => postgresCpuMs(database),
    generator: selfCpuMs,
  });
  const peers: XmppPeer[] = [];
  const tabs: TestTab[] = [];
  try {
    // Parley side: 100 accounts with one tab each. Raw side: 100 plain clients. One outside sender per pair, per side.
    const accounts = await Promise.all(Array.from({ length: PAIRS }, (_, i) => prosody.createUser(`tp${i}`, 'pw')));
    const handlers: ((body: string | null) => void)[] = [];
    const onTab = (body: string | null) => handlers.forEach((h) => h(body));
    for (let i = 0; i < PAIRS; i += 10) {
      await Promise.all(
        accounts.slice(i, i + 10).map(async (jid, k) => {
          const browser = new HttpBrowser(parley.url);
          if ((await browser.login(jid, 'pw')).status !== 303) throw new Error(`login of ${jid} failed`);
          const tab = browser.tab();
          tabs[i + k] = tab;
          await tab.waitFor('hello');
          tab.socket.on('message', (e) => e.message.direction === 'in' && onTab(e.message.body));
        }),
      );
    }
    const login = async (name: string) => {
      const peer = await XmppPeer.login(prosody, await prosody.createUser(name, 'pw'), 'pw');
      peers.push(peer);
      return peer;
    };
    const senders: XmppPeer[] = [];
    const rawReceivers: XmppPeer[] = [];
    for (let i = 0; i < PAIRS; i += 20) {
      senders.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => login(`tpsend${i + k}`)))));
      rawReceivers.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => login(`tpraw${i + k}`)))));
    }
    const onRaw: ((body: string | null) => void)[] = [];
    for (const r of rawReceivers) r.conn.on('stanza', (el: Element) => el.name === 'message' && onRaw.forEach((h) => h(el.getChildText('body'))));

    /** Runs one schedule into `deliver(i, body)` and collects what `sink` sees, with each component's CPU meanwhile. */
    const step = async (sink: ((body: string | null) => void)[], rate: number, deliver: (i: number, body: string) => void): Promise<StepResult> => {
      const tag = `tp-${randomUUID().slice(0, 8)}`;
      const arrivals = new Arrivals(tag, Math.round(rate * STEP_SECONDS));
      const h = (body: string | null) => arrivals.seen(body);
      sink.push(h);
      try {
        cpu.delta();
        const { start, done } = schedule(rate, STEP_SECONDS, (i, due) => deliver(i, `${tag} ${i} ${due}`));
        const result = await arrivals.result(start, done);
        const used = cpu.delta();
        for (const k of Object.keys(used) as Component[]) result.cpu[k] = used[k] / Math.max(1, result.delivered);
        return result;
      } finally {
        sink.splice(sink.indexOf(h), 1);
      }
    };
    const line = (what: string, rate: number, p: StepResult | null, raw: StepResult | null) =>
      `${what} ${rate} msg/s offered over ${PAIRS} pairs: ` +
      (p ? `${Math.round(p.achieved)} msg/s stored+delivered (${p.delivered}/${p.offered}), p50 ${ms(p.p50)}, p99 ${ms(p.p99)}; CPU per message: ${cpuLine(p.cpu)}` : 'not run (lost messages at a lower step)') +
      ' | raw floor same step: ' +
      (raw ? `${Math.round(raw.achieved)} msg/s (${raw.delivered}/${raw.offered}), p50 ${ms(raw.p50)}, p99 ${ms(raw.p99)}; CPU per message: ${cpuLine(raw.cpu)}` : 'not run (lost messages at a lower step)');

    // Figures for the table and JSON: the rate achieved and the latency percentiles, each beside the same step raw.
    const figures = (what: string, rate: number, p: StepResult | null, raw: StepResult | null) => {
      if (!p) return;
      const name = `${what} at ${rate} msg/s offered`;
      report.figure({ name: `${name}: stored + delivered`, unit: 'msg/s', parley: p.achieved, raw: raw?.achieved ?? null, note: `${p.delivered}/${p.offered} delivered${raw ? ` (raw ${raw.delivered}/${raw.offered})` : ' (raw not run: it lost messages at a lower step)'} over ${PAIRS} pairs` });
      if (p.delivered === 0 || (raw && raw.delivered === 0)) return; // no latency to give (the line above says what arrived)
      report.figure({ name: `${name}: p50`, unit: 'ms', parley: p.p50, raw: raw?.p50 ?? null });
      report.figure({ name: `${name}: p99`, unit: 'ms', parley: p.p99, raw: raw?.p99 ?? null });
      report.figure({ name: `${name}: Parley CPU per message`, unit: 'ms', parley: p.cpu.parley, raw: null, note: `Prosody ${p.cpu.prosody.toFixed(2)} (raw ${raw?.cpu.prosody.toFixed(2) ?? '-'}), PostgreSQL ${p.cpu.postgres.toFixed(2)}, load generator ${p.cpu.generator.toFixed(2)} (raw ${raw?.cpu.generator.toFixed(2) ?? '-'}) ms per message` });
    };
    /** The highest step met by each side (every message delivered, p99 <= KNEE_P99_MS), as a figure. */
    const knee = (what: string, runs: { rate: number; p: StepResult | null; raw: StepResult | null }[]) => {
      const best = (pick: (r: (typeof runs)[number]) => StepResult | null) => Math.max(0, ...runs.filter((r) => pick(r) && metKnee(pick(r)!)).map((r) => r.rate));
      report.figure({
        name: `${what}: knee (highest step with p99 <= ${KNEE_P99_MS} ms)`,
        unit: 'msg/s',
        parley: best((r) => r.p),
        raw: best((r) => r.raw),
        note: `steps ${runs.map((r) => r.rate).join(', ')} msg/s; 0 = no step met it`,
      });
    };

    /** Steps upwards; a side that lost messages at a step is not run at the higher ones (it is past its knee). */
    const ladder = async (what: string, rates: number[], parleyDeliver: (i: number, body: string) => void) => {
      const runs: { rate: number; p: StepResult | null; raw: StepResult | null }[] = [];
      let rawFell = false;
      let parleyFell = false;
      for (const rate of rates) {
        if (rawFell && parleyFell) break;
        const raw: StepResult | null = rawFell ? null : await step(onRaw, rate, (i, body) => void senders[i % PAIRS]!.conn.send(chat(rawReceivers[i % PAIRS]!.conn.bareJid, body)));
        const p: StepResult | null = parleyFell ? null : await step(handlers, rate, parleyDeliver);
        rawFell ||= raw !== null && raw.delivered < raw.offered;
        parleyFell ||= p !== null && p.delivered < p.offered;
        report(line(what, rate, p, raw));
        figures(what, rate, p, raw);
        runs.push({ rate, p, raw });
      }
      knee(what, runs);
    };

    await ladder('inbound contact -> tab', INBOUND_STEPS, (i, body) => void senders[i % PAIRS]!.conn.send(chat(accounts[i % PAIRS]!, body)));
    // Tab -> another account's tab: tab i sends to account i+1 (stored pending, sent, stored by the receiver, fanned
    // out). The raw floor is the same plain client -> plain client schedule.
    await ladder("tab -> other account's tab", TAB_STEPS, (i, body) => {
      const from = i % PAIRS;
      void tabs[from]!.command('send', { to: accounts[(from + 1) % PAIRS]!, body, originId: randomUUID() }, 60_000).catch(() => undefined);
    });
  } finally {
    for (const t of tabs) t?.close();
    for (const p of peers) await p.stop().catch(() => undefined);
    await parley.stop();
    await prosody.stop();
    await db.drop();
  }
}
