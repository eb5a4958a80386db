/**
 * A load generator for rooms: N occupants in one room on the test Prosody, cheaply. Each occupant is its own raw
 * connection (xmpp-raw.ts) to the anonymous crowd host (`TestProsody.start({ muc: true, crowd: true })`), joining
 * with its own nick. The crowd is deaf (see prosody.ts): Prosody delivers nothing to its occupants but their own
 * self-presence, so the room costs O(N) deliveries while every other occupant (Parley's account) sees it whole.
 *
 * 5,000 connections from one Node process: a few MB in Node and ~40 kB each in Prosody; the file-descriptor limit
 * (`ulimit -n`) must allow them (checked up front).
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { RawXmpp, child, escapeXml, toXml, type XmlNode } from './xmpp-raw.js';
import { TestProsody } from './prosody.js';
import { createTestDatabase } from './postgres.js';
import { freePort } from './ports.js';
import { ParleyProcess } from './parley-process.js';
import { HttpBrowser, type TestTab } from './parley.js';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = `${MUC}#user`;
const MUC_OWNER = `${MUC}#owner`;

/** Our own presence in the room (XEP-0045 status 110), or a presence error for that nick. */
function selfPresence(room: string, nick: string, type?: 'unavailable') {
  const from = `${room}/${nick}`;
  return (el: XmlNode) =>
    el.name === 'presence' &&
    el.attrs.from === from &&
    (el.attrs.type === 'error' ||
      ((type === undefined ? el.attrs.type !== 'unavailable' : el.attrs.type === type) &&
        (child(el, 'x', MUC_USER)?.children.some((c) => c.name === 'status' && c.attrs.code === '110') ?? false)));
}

/** One occupant of the crowd: a logged-in anonymous connection, in at most one room at a time. */
export class CrowdMember {
  room: string | null = null;
  constructor(readonly conn: RawXmpp, readonly nick: string) {}

  /** Joins without history; resolves on the self-presence (a presence error rejects). */
  async join(room: string, timeoutMs = 30_000): Promise<void> {
    if (this.room) throw new Error(`${this.nick} is already in ${this.room}`);
    this.conn.received.length = 0; // a deaf occupant gets only its own presences: nothing older is needed
    this.conn.send(
      `<presence to='${escapeXml(`${room}/${this.nick}`)}'><x xmlns='${MUC}'><history maxstanzas='0'/></x></presence>`,
    );
    const el = await this.conn.waitFor(selfPresence(room, this.nick), timeoutMs);
    if (el.attrs.type === 'error') throw new Error(`${this.nick} could not join ${room}: ${toXml(el)}`);
    this.room = room;
  }

  async leave(timeoutMs = 30_000): Promise<void> {
    const room = this.room;
    if (!room) return;
    this.conn.received.length = 0;
    this.conn.send(`<presence to='${escapeXml(`${room}/${this.nick}`)}' type='unavailable'/>`);
    await this.conn.waitFor(selfPresence(room, this.nick, 'unavailable'), timeoutMs);
    this.room = null;
  }
}

export interface CrowdOptions {
  /** Nicks are `${prefix}${i}` (default 'crowd-'). */
  prefix?: string;
  /** Logins (and joins) in flight at once (default 100). */
  concurrency?: number;
}

export interface FloodResult {
  /** Join and leave presences sent (each answered by Prosody with the self-presence). */
  presences: number;
  ms: number;
  /** Highest number of crowd occupants in the room at once. */
  peakInRoom: number;
}

/** Runs `task(i)` for i in [0, n) with at most `limit` in flight. */
async function pool(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

export function openFileLimit(): number {
  const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

export class RoomCrowd {
  private constructor(readonly prosody: TestProsody, readonly members: CrowdMember[], private readonly concurrency: number) {}

  /** Logs in `size` anonymous connections (not in any room yet). */
  static async connect(prosody: TestProsody, size: number, opts: CrowdOptions = {}): Promise<RoomCrowd> {
    // Our sockets, and as many again in Prosody (it inherits our limit): leave room for everything else.
    const limit = openFileLimit();
    if (size + 200 > limit) throw new Error(`${size} crowd connections need more open files than ulimit -n allows (${limit})`);
    const prefix = opts.prefix ?? 'crowd-';
    const concurrency = opts.concurrency ?? 100;
    const members: CrowdMember[] = new Array(size);
    const crowd = new RoomCrowd(prosody, members, concurrency);
    try {
      await pool(size, concurrency, async (i) => {
        const conn = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid: prosody.crowdDomain, password: '', anonymous: true, resource: 'crowd', timeoutMs: 30_000 });
        members[i] = new CrowdMember(conn, `${prefix}${i}`);
      });
    } catch (err) {
      await crowd.close();
      throw err;
    }
    return crowd;
  }

  get size(): number {
    return this.members.length;
  }

  /**
   * Creates `room` as an instant room (XEP-0045 §10.1.2) owned by the first member, so that others may join at once
   * (Prosody locks a new room until its owner configures it). `config` sets room form fields (muc#roomconfig_*).
   */
  async createRoom(room: string, config: Record<string, string> = {}): Promise<void> {
    const owner = this.members[0]!;
    await owner.join(room);
    const fields = Object.entries(config)
      .map(([k, v]) => `<field var='${escapeXml(k)}'><value>${escapeXml(v)}</value></field>`)
      .join('');
    await owner.conn.iq(
      `<iq type='set' to='${escapeXml(room)}'><query xmlns='${MUC_OWNER}'><x xmlns='jabber:x:data' type='submit'>` +
        `<field var='FORM_TYPE' type='hidden'><value>${MUC}#roomconfig</value></field>${fields}</x></query></iq>`,
    );
  }

  /** Members [from, to) join `room` (default: all of them not yet in a room). */
  async join(room: string, from = 0, to = this.members.length): Promise<void> {
    await pool(to - from, this.concurrency, async (k) => {
      const m = this.members[from + k]!;
      if (!m.room) await m.join(room);
    });
  }

  async leave(from = 0, to = this.members.length): Promise<void> {
    await pool(to - from, this.concurrency, (k) => this.members[from + k]!.leave());
  }

  /**
   * A presence flood: about `presences` join and leave presences (half each) into `room`, spread evenly over
   * `durationMs`, each member joining, staying `dwellMs` and leaving again, then free for another round. Members
   * [from, to) take part (they must not be in a room). At most `maxInFlight` (default 100) joins or leaves wait for
   * Prosody's answer at once: past what Prosody can take the flood slows down instead of queueing without bound in
   * Prosody (which would delay every other stanza it routes). Throws if Prosody refuses one.
   */
  async flood(room: string, opts: { presences: number; durationMs: number; dwellMs: number; from?: number; to?: number; maxInFlight?: number }): Promise<FloodResult> {
    const free = this.members.slice(opts.from ?? 0, opts.to ?? this.members.length).filter((m) => !m.room);
    const cycles = Math.ceil(opts.presences / 2);
    const tickMs = 10;
    const perTick = cycles / (opts.durationMs / tickMs);
    let started = 0;
    let sent = 0;
    let inRoom = 0;
    let peak = 0;
    const running: Promise<void>[] = [];
    const t0 = performance.now();
    const maxInFlight = opts.maxInFlight ?? 100;
    let inFlight = 0;
    const cycle = async (m: CrowdMember) => {
      sent++;
      inFlight++;
      await m.join(room).finally(() => inFlight--);
      peak = Math.max(peak, ++inRoom);
      await new Promise((r) => setTimeout(r, opts.dwellMs));
      while (inFlight >= maxInFlight) await new Promise((r) => setTimeout(r, 2));
      sent++;
      inRoom--;
      inFlight++;
      await m.leave().finally(() => inFlight--);
      free.push(m);
    };
    let failure: unknown = null;
    while (started < cycles && failure === null) {
      // How many cycles should have started by now: catch up after a late timer instead of drifting.
      const due = Math.min(cycles, Math.ceil(((performance.now() - t0) / tickMs + 1) * perTick));
      while (started < due && free.length && inFlight < maxInFlight) {
        started++;
        running.push(cycle(free.shift()!).catch((err) => { failure ??= err; }));
      }
      await new Promise((r) => setTimeout(r, tickMs));
    }
    await Promise.all(running);
    if (failure) throw failure;
    return { presences: sent, ms: performance.now() - t0, peakInRoom: peak };
  }

  async close(): Promise<void> {
    await pool(this.members.length, 500, async (i) => {
      await this.members[i]?.conn.close();
    });
  }
}

/**
 * Prosody (MUC + crowd host), a fresh database and Parley as its own process, so that its RSS is Parley's alone and
 * the crowd's sockets do not share its event loop. Accounts log in through the form and get socket.io tabs.
 */
export class CrowdStack {
  private readonly tabs: TestTab[] = [];
  private counter = 0;
  private constructor(readonly prosody: TestProsody, readonly parley: ParleyProcess, private readonly db: { drop(): Promise<void> }) {}

  /** `cpuProfileDir`: Parley runs with --cpu-prof and writes its profile there when it stops. */
  static async start(opts: { cpuProfileDir?: string; env?: Record<string, string> } = {}): Promise<CrowdStack> {
    const prosody = await TestProsody.start({ muc: true, crowd: true });
    const db = await createTestDatabase();
    try {
      const parley = await ParleyProcess.start(
        {
          DATABASE_URL: db.url,
          PARLEY_SESSION_SECRET: 'crowd-secret-crowd-secret-crowd-secret-01',
          PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
          PARLEY_XMPP_REQUIRE_TLS: 'false',
          PARLEY_LOGIN_ATTEMPTS: '10000',
          PARLEY_SOCKET_RATE: '10000',
          PARLEY_SOCKET_BURST: '10000',
          ...opts.env,
        },
        await freePort(),
        opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [],
      );
      return new CrowdStack(prosody, parley, db);
    } catch (err) {
      await prosody.stop();
      await db.drop();
      throw err;
    }
  }

  get url(): string {
    return this.parley.url;
  }

  /** A new account, logged in through the form, with one tab that has its hello. */
  async account(prefix: string): Promise<{ jid: string; password: string; tab: TestTab; browser: HttpBrowser }> {
    const password = `pw-${randomUUID()}`;
    const jid = await this.prosody.createUser(`${prefix}${++this.counter}x${randomUUID().slice(0, 6)}`, password);
    const browser = new HttpBrowser(this.url);
    const res = await browser.login(jid, password);
    if (res.status !== 303) throw new Error(`login of ${jid} failed (${res.status}): ${res.html.slice(0, 300)}`);
    const tab = browser.tab();
    this.tabs.push(tab);
    await tab.waitFor('hello');
    return { jid, password, tab, browser };
  }

  async close(): Promise<void> {
    for (const tab of this.tabs) tab.close();
    await this.parley.stop();
    await this.prosody.stop();
    await this.db.drop();
  }
}
