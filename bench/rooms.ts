/**
 * Room figures (issue #11, "Scale"), on the test Prosody with a deaf crowd (test/harness/room-crowd.ts) and Parley as
 * its own process:
 * - the crowd itself: 5,000 anonymous connections, 5,000 joins (Prosody's floor, not Parley's);
 * - raw floor: an ordinary XMPP client joining the 5,000-occupant room (join sent -> self-presence after 5,000 others);
 * - server join: a tab's roomJoin (join command -> self-presence, the occupant list held), then roomOccupants (5,001);
 * - in Chromium: the room opened in the real app -> occupant count 5,001 shown and the first occupant rows painted;
 * - the tab's longest frame (long tasks, rAF gaps) while 5,000 presences arrive (2,500 leave, 2,500 join again);
 * - message fan-out in a 500-occupant room with 20 Parley accounts: send command -> `message` event at each of the 19
 *   receivers' sockets, p50/p99.
 * run.ts prints the figures as a table and writes them to bench/results/ with the load average at the start.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { CrowdStack, RoomCrowd } from '../test/harness/room-crowd.js';
import { RawXmpp } from '../test/harness/xmpp-raw.js';
import { launchBrowser, logInPage } from '../test/harness/browser.js';
import type { TestTab } from '../test/harness/parley.js';
import { summary, percentile } from './stats.js';
import type { Reporter } from './report.js';

const BIG = 5000;
const FANOUT_ROOM = 500;
const FANOUT_ACCOUNTS = 20;
const FANOUT_MESSAGES = 100;
const JOINS = 3;
/** The room-presence bucket (DEFAULT_ROOM_PRESENCE_RATE: 2,000/s, burst 20,000) holds three joins; a pause keeps it full. */
const REFILL_MS = 3_000;

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const f0 = (n: number) => n.toFixed(0);

export async function benchRooms(report: Reporter): Promise<void> {
  const stack = await CrowdStack.start();
  let crowd: RoomCrowd | null = null;
  try {
    let t0 = performance.now();
    crowd = await RoomCrowd.connect(stack.prosody, BIG);
    const crowdConnectMs = performance.now() - t0;
    const room = `big-${randomUUID().slice(0, 6)}@${stack.prosody.mucDomain}`;
    t0 = performance.now();
    await crowd.createRoom(room);
    await crowd.join(room);
    const crowdJoinMs = performance.now() - t0;
    report(`crowd (Prosody alone, the set-up): ${BIG} anonymous connections in ${f0(crowdConnectMs)} ms, ${BIG} joins in ${f0(crowdJoinMs)} ms (100 in flight)`);

    const rawJoinMs = await rawJoin(stack, room);
    const alice = await stack.account('alice');
    const join = await serverJoins(alice.tab, room);
    report.figure({
      name: `join a ${BIG}-occupant room`,
      unit: 'ms',
      parley: join.serverJoinMs,
      raw: rawJoinMs,
      note:
        `Parley: roomJoin command -> joined, median of ${JOINS} (min ${f0(join.serverJoinMinMs)}, max ${f0(join.serverJoinMaxMs)}); first occupants delta at ${f0(join.firstDeltaMs)} ms, ` +
        `last before the ack at ${f0(join.lastDeltaBeforeAckMs)} ms; raw: a plain client's join -> its self-presence after ${BIG} occupant presences`,
    });
    report.figure({ name: `roomOccupants round trip (${join.occupants} occupants)`, unit: 'ms', parley: join.occupantsMs, raw: null, note: 'median; no floor: a plain client keeps the list itself' });

    try {
      const ui = await inChromium(stack, crowd, room, alice);
      const noFloor = 'in Chromium, the real app; no raw floor: a plain client paints nothing';
      report.figure({
        name: `Chromium: room opened -> "${BIG + 1}" occupants shown, first rows painted`,
        unit: 'ms',
        parley: ui.renderMs,
        raw: null,
        note: `${ui.rowsInDom} occupant rows in the DOM; ${noFloor}`,
      });
      report.figure({ name: 'Chromium: longest task while opening the room', unit: 'ms', parley: ui.renderLongTaskMs, raw: null });
      const flood = `${ui.floodPresences} presences arriving in ${f0(ui.floodMs)} ms with the room open`;
      report.figure({ name: 'Chromium: longest task during a presence flood', unit: 'ms', parley: ui.floodLongTaskMs, raw: null, note: `${flood}; ${ui.floodFrames} frames; count shown after: ${ui.countAfter}` });
      report.figure({ name: 'Chromium: longest rAF gap during a presence flood', unit: 'ms', parley: ui.floodFrameGapMs, raw: null });
    } catch (err) {
      report(`Chromium figures NOT measured: ${String((err as Error).message).slice(0, 500)}`);
    }

    await crowd.leave();
    const fan = await fanOut(stack, crowd);
    const fanName = `room fan-out (${FANOUT_ROOM} occupants, ${FANOUT_ACCOUNTS} Parley accounts)`;
    report.figure({
      name: `${fanName}: send -> each receiver p50`,
      unit: 'ms',
      parley: fan.fanoutP50Ms,
      raw: null,
      note: `send command -> message event at each of ${FANOUT_ACCOUNTS - 1} receivers' sockets, n=${fan.fanoutSamples}; no raw floor measured yet (plain clients in the room would be one)`,
    });
    report.figure({ name: `${fanName}: send -> each receiver p99`, unit: 'ms', parley: fan.fanoutP99Ms, raw: null });
    report.figure({ name: `${fanName}: send -> each receiver max`, unit: 'ms', parley: fan.fanoutMaxMs, raw: null });
    report.figure({ name: `${fanName}: send -> last receiver p50`, unit: 'ms', parley: fan.lastP50Ms, raw: null });
    report.figure({ name: `${fanName}: send -> last receiver p99`, unit: 'ms', parley: fan.lastP99Ms, raw: null });
  } finally {
    await crowd?.close();
    await stack.close();
  }
}

/** An ordinary account over a raw connection: join sent -> its own presence (XEP-0045 sends it after all others). */
async function rawJoin(stack: CrowdStack, room: string): Promise<number> {
  const password = `pw-${randomUUID()}`;
  const jid = await stack.prosody.createUser(`raw${randomUUID().slice(0, 6)}`, password);
  const conn = await RawXmpp.login({ host: '127.0.0.1', port: stack.prosody.c2sPort, jid, password });
  try {
    const t0 = performance.now();
    conn.send(`<presence to='${room}/raw'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`);
    await conn.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/raw`, 120_000);
    const ms = performance.now() - t0;
    const seen = conn.received.filter((el) => el.name === 'presence').length;
    if (seen < BIG + 1) throw new Error(`the raw client saw ${seen} presences, not ${BIG + 1}`);
    return ms;
  } finally {
    await conn.close();
  }
}

async function serverJoins(tab: TestTab, room: string) {
  const joins: number[] = [];
  const lists: number[] = [];
  let occupants = 0;
  const firstDelta: number[] = [];
  const lastDelta: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    // When the occupant list reaches the tab (coalesced deltas) against when the join is acknowledged: whether the
    // time goes in arriving (Prosody's pace) or in being handled.
    let first = NaN;
    let last = NaN;
    const onDelta = (d: { room: string }) => {
      if (d.room !== room) return;
      last = performance.now() - t0;
      if (Number.isNaN(first)) first = last;
    };
    tab.socket.on('occupants', onDelta);
    const t0 = performance.now();
    const { room: dto } = await tab.command('roomJoin', { room, nick: 'alice', bookmark: false }, 120_000);
    joins.push(performance.now() - t0);
    tab.socket.off('occupants', onDelta);
    firstDelta.push(first);
    lastDelta.push(last);
    if (dto.state !== 'joined') throw new Error(`roomJoin ended ${dto.state}: ${JSON.stringify(dto.error)}`);
    const t1 = performance.now();
    const list = await tab.command('roomOccupants', { room }, 60_000);
    lists.push(performance.now() - t1);
    occupants = list.occupants.length;
    if (occupants < BIG + 1) throw new Error(`roomOccupants lists ${occupants} occupants, not ${BIG + 1}`);
    // Leave (the last join stays, for the Chromium part); the room-presence bucket (server/xmpp/stanza-rate.ts) refills.
    if (i < JOINS - 1) {
      await tab.command('roomLeave', { room, forget: true }, 60_000);
      await new Promise((r) => setTimeout(r, REFILL_MS));
    }
  }
  return {
    serverJoinMs: median(joins),
    serverJoinMinMs: Math.min(...joins),
    serverJoinMaxMs: Math.max(...joins),
    occupantsMs: median(lists),
    occupants,
    firstDeltaMs: median(firstDelta),
    lastDeltaBeforeAckMs: median(lastDelta),
  };
}

/** Long tasks (> 50 ms) and rAF gaps, recorded from page start; `window.__perf.reset()` starts a new window. */
async function watchFrames(page: Page): Promise<void> {
  await page.addInitScript(`(() => {
    const p = { longTask: 0, frameGap: 0, frames: 0, last: 0 };
    p.reset = () => { p.longTask = 0; p.frameGap = 0; p.frames = 0; p.last = performance.now(); };
    window.__perf = p;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) p.longTask = Math.max(p.longTask, e.duration); })
      .observe({ type: 'longtask', buffered: true });
    const tick = (now) => { if (p.last) p.frameGap = Math.max(p.frameGap, now - p.last); p.last = now; p.frames++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
}

/** The room in the real app: opened from the sidebar, its occupant list shown; then a 5,000-presence flood. */
async function inChromium(stack: CrowdStack, crowd: RoomCrowd, room: string, account: { jid: string; password: string }) {
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await watchFrames(page);
    await logInPage(page, stack.url, account.jid, account.password);
    const entry = page.locator(`[data-testid="room"][data-jid="${room}"]`);
    await entry.waitFor({ timeout: 60_000 });
    // A new tab is a new OMEMO device: it generates its keys (~1 s of main-thread curve25519) right after login.
    // Wait until the page has been quiet (no long task) for a second, so that the figures are the room's alone.
    for (let quiet = 0, tries = 0; quiet < 1 && tries < 60; tries++) {
      await page.evaluate('window.__perf.reset()');
      await page.waitForTimeout(1000);
      quiet = (await page.evaluate<number>('window.__perf.longTask')) === 0 ? 1 : 0;
    }
    await page.evaluate('window.__perf.reset()');
    const t0 = Date.now();
    await entry.click();
    // The occupant count and the first painted rows: the frame after both are in the DOM.
    const r = await page.evaluate<{ at: number; rows: number }>(`new Promise((resolve) => {
      const want = '${BIG + 1}';
      let toggled = false;
      function check() {
        // A narrow layout keeps the occupant list behind its toggle: open it, as a person would.
        const toggle = document.querySelector('[data-testid="occupants-toggle"]');
        if (!toggled && toggle && toggle.getAttribute('aria-expanded') === 'false') { toggled = true; toggle.click(); }
        const count = document.querySelector('[data-testid="occupant-count"]');
        const rows = document.querySelectorAll('[data-testid="occupant"]').length;
        if (!count || !count.textContent.includes(want) || rows === 0) return requestAnimationFrame(check);
        requestAnimationFrame(() => resolve({ at: Date.now(), rows }));
      }
      check();
    })`);
    const renderMs = r.at - t0;
    const renderLongTaskMs = await page.evaluate<number>('window.__perf.longTask');

    // The flood: half the crowd leaves, then joins again (5,000 presences), with the room open.
    await page.evaluate('window.__perf.reset()');
    const half = Math.floor(crowd.size / 2);
    const t1 = performance.now();
    await crowd.leave(crowd.size - half, crowd.size);
    await crowd.join(room, crowd.size - half, crowd.size);
    const floodMs = performance.now() - t1;
    // Until the tab shows the whole room again.
    // Polled from a promise the page is handed (as above): waitForFunction with a string evaluates it with eval() in
    // the page, which the app's CSP (script-src 'self') refuses.
    const shown = await page.evaluate<boolean>(`new Promise((resolve) => {
      const until = Date.now() + 60000;
      function check() {
        if (document.querySelector('[data-testid="occupant-count"]')?.textContent.includes('${BIG + 1}')) return resolve(true);
        if (Date.now() > until) return resolve(false);
        requestAnimationFrame(check);
      }
      check();
    })`);
    if (!shown) throw new Error(`the tab did not show ${BIG + 1} occupants again within 60 s of the presence flood`);
    const perf = await page.evaluate<{ longTask: number; frameGap: number; frames: number }>('({ ...window.__perf })');
    const countAfter = (await page.getByTestId('occupant-count').textContent()) ?? '';
    return {
      renderMs,
      rowsInDom: r.rows,
      renderLongTaskMs,
      floodPresences: half * 2,
      floodMs,
      floodLongTaskMs: perf.longTask,
      floodFrameGapMs: perf.frameGap,
      floodFrames: perf.frames,
      countAfter: countAfter.trim(),
    };
  } finally {
    await browser.close();
  }
}

/** One sender and 19 receiving Parley accounts in a room with 480 crowd occupants; messages sent one at a time. */
async function fanOut(stack: CrowdStack, crowd: RoomCrowd) {
  const room = `fanout-${randomUUID().slice(0, 6)}@${stack.prosody.mucDomain}`;
  await crowd.createRoom(room);
  await crowd.join(room, 1, FANOUT_ROOM - FANOUT_ACCOUNTS);
  const accounts = [];
  for (let i = 0; i < FANOUT_ACCOUNTS; i++) accounts.push(await stack.account(`fan${i}`));
  await Promise.all(accounts.map((a, i) => a.tab.command('roomJoin', { room, nick: `parley-${i}`, bookmark: false }, 60_000)));
  const occupants = (await accounts[0]!.tab.command('roomOccupants', { room })).occupants.length;
  if (occupants !== FANOUT_ROOM) throw new Error(`the fan-out room has ${occupants} occupants, not ${FANOUT_ROOM}`);
  const [sender, ...receivers] = accounts as [(typeof accounts)[0], ...typeof accounts];
  const each: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < FANOUT_MESSAGES + 5; i++) {
    const body = `fan-out ${i} ${randomUUID()}`;
    const t0 = performance.now();
    const arrivals = receivers.map((r) =>
      r.tab.waitFor('message', (e) => e.message.peer === room && e.message.body === body, 30_000).then(() => performance.now() - t0),
    );
    await sender.tab.command('send', { to: room, body, originId: randomUUID() }, 30_000);
    const times = await Promise.all(arrivals);
    if (i < 5) continue; // warm-up
    each.push(...times);
    last.push(Math.max(...times));
  }
  for (const r of accounts) r.tab.events.length = 0;
  const e = summary(each);
  const l = summary(last);
  return { fanoutP50Ms: e.p50, fanoutP99Ms: e.p99, fanoutMaxMs: e.max, fanoutSamples: e.n, lastP50Ms: l.p50, lastP99Ms: l.p99 };
}
