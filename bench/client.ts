/**
 * Client figures (issue: virtualised lists): the app page's first (contentful) paint after login, the gzip bytes of
 * JavaScript the page requested before that paint, and the longest frame while scrolling 2,000 messages.
 * The scroll figure runs against a page given as a parameter (`ScrollTarget`): today the VirtualList fixture with
 * message-like items and public/app.css; the real conversation can take its place once it renders through VirtualList.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestStack } from '../test/harness/parley.js';
import { launchBrowser, logInPage } from '../test/harness/browser.js';
import { startVirtualListFixture } from '../test/harness/virtual-list-fixture.js';
import { percentile } from './stats.js';
import type { Reporter } from './report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LOADS = 7;

/** A page to scroll: opened and ready, with the selector of its scroll container. */
export interface ScrollTarget {
  name: string;
  open(browser: Browser): Promise<{ page: Page; scroller: string; close(): Promise<void> }>;
}

/** The VirtualList fixture: `count` message bubbles of 1 to 12 lines, app.css styles, opened at the newest. */
export function fixtureMessages(count: number): ScrollTarget {
  return {
    name: `VirtualList fixture, ${count.toLocaleString('en')} message bubbles (1-12 lines)`,
    async open(browser) {
      const fixture = await startVirtualListFixture();
      const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${fixture.url}?kind=messages&n=${count}&seed=1&maxLines=12`);
      await page.getByTestId('list').locator('> *').first().waitFor();
      return {
        page,
        scroller: '[data-testid="scroller"]',
        close: async () => {
          await context.close();
          await fixture.close();
        },
      };
    },
  };
}

export async function benchClient(report: Reporter, target: ScrollTarget = fixtureMessages(2000)): Promise<void> {
  // The figures are about this checkout's client: build it as `npm run build` would.
  await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'build-client.mjs')], { cwd: root });
  const browser = await launchBrowser();
  try {
    await firstPaint(browser, report);
    await scrolling(browser, target, report);
  } finally {
    await browser.close();
  }
}

/** One cold load's paint times (ms since navigation start) and what the page had fetched by then. */
interface PaintSample {
  fp: number;
  fcp: number;
  /** responseEnd of the HTML document */
  html: number;
  /** when the script had rendered (the live app in place of the frame): the 'parley-app-rendered' mark */
  rendered: number;
  /** JavaScript requested before first contentful paint, with when each had arrived */
  scripts: { url: string; end: number }[];
}

/** Loads `url` in a fresh context (cookies of `storageState`, empty HTTP cache: a first visit of the day) `LOADS` times. */
async function coldLoads(browser: Browser, url: string, storageState?: Awaited<ReturnType<BrowserContext['storageState']>>): Promise<{ samples: PaintSample[]; scriptGzip: { url: string; gzip: number }[] }> {
  const samples: PaintSample[] = [];
  let scriptGzip: { url: string; gzip: number }[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context: BrowserContext = await browser.newContext(storageState ? { storageState } : {});
    const page = await context.newPage();
    await page.goto(url);
    const paint = await page.evaluate(
      () =>
        new Promise<PaintSample>((resolve) => {
          new PerformanceObserver((list, observer) => {
            const fcpEntry = performance.getEntriesByName('first-contentful-paint')[0];
            if (!fcpEntry) return;
            observer.disconnect();
            const fpEntry = performance.getEntriesByName('first-paint')[0] ?? fcpEntry;
            const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
            const scripts = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
              .filter((e) => e.startTime < fcpEntry.startTime && /\.m?js(\?|$)/.test(new URL(e.name).pathname))
              .map((e) => ({ url: e.name, end: e.responseEnd }));
            const sample = { fp: fpEntry.startTime, fcp: fcpEntry.startTime, html: nav?.responseEnd ?? 0, scripts };
            new PerformanceObserver((marks, o) => {
              const rendered = marks.getEntriesByName('parley-app-rendered')[0];
              if (!rendered) return;
              o.disconnect();
              resolve({ ...sample, rendered: rendered.startTime });
            }).observe({ type: 'mark', buffered: true });
          }).observe({ type: 'paint', buffered: true });
        }),
    );
    if (page.url() !== url) throw new Error(`not the page asked for: ${page.url()} instead of ${url}`);
    samples.push(paint);
    if (i === 0) {
      scriptGzip = await Promise.all(
        paint.scripts.map(async (s) => ({ url: new URL(s.url).pathname, gzip: gzipSync(await (await context.request.get(s.url)).body()).length })),
      );
    }
    await context.close();
  }
  return { samples, scriptGzip };
}

/**
 * The floor of first paint: a static page from the same origin (Parley's /assets), with the app page's stylesheet, a
 * line of text in its HTML (as the app page has its frame) and one small module script that replaces that line, as
 * the app's script replaces the frame with its first render.
 */
const FLOOR_DIR = path.join(root, 'public', 'build', 'bench-floor');
async function writeFloorPage(): Promise<string> {
  await mkdir(FLOOR_DIR, { recursive: true });
  await writeFile(
    path.join(FLOOR_DIR, 'floor.js'),
    `document.getElementById('app').replaceChildren(Object.assign(document.createElement('p'), { textContent: 'Select a conversation' }));\nperformance.mark('parley-app-rendered');\n`,
  );
  await writeFile(
    path.join(FLOOR_DIR, 'index.html'),
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>floor</title>` +
      `<link rel="stylesheet" href="/assets/app.css"><script type="module" src="/assets/build/bench-floor/floor.js"></script></head>` +
      `<body class="page-app"><div id="app" class="app-root"><p>Opening your chats…</p></div></body></html>\n`,
  );
  return '/assets/build/bench-floor/index.html';
}

async function firstPaint(browser: Browser, report: Reporter): Promise<void> {
  const stack = await TestStack.start();
  try {
    const user = await stack.newUser('bench');
    const login = await browser.newContext();
    await logInPage(await login.newPage(), stack.url, user.jid, user.password);
    const session = await login.storageState();
    await login.close();

    const floorPath = await writeFloorPage();
    // Alternated, so that both see the same moments of a busy machine.
    const app: PaintSample[] = [];
    const floor: PaintSample[] = [];
    let appScripts: { url: string; gzip: number }[] = [];
    let floorScripts: { url: string; gzip: number }[] = [];
    for (let round = 0; round < 2; round++) {
      const a = await coldLoads(browser, `${stack.url}/`, session);
      const f = await coldLoads(browser, `${stack.url}${floorPath}`);
      app.push(...a.samples);
      floor.push(...f.samples);
      if (round === 0) [appScripts, floorScripts] = [a.scriptGzip, f.scriptGzip];
    }
    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    const of = (samples: PaintSample[], pick: (s: PaintSample) => number) => median(samples.map(pick));
    const n = app.length;
    report.figure({
      name: 'first contentful paint of the app page after login',
      unit: 'ms',
      parley: of(app, (s) => s.fcp),
      raw: of(floor, (s) => s.fcp),
      note: `cold HTTP cache, median of ${n} loads each, alternated; raw: a static page from the same origin with app.css, a line of text in its HTML and one small module script that replaces it; target <= 300 ms`,
    });
    report.figure({ name: 'first paint of the app page after login', unit: 'ms', parley: of(app, (s) => s.fp), raw: of(floor, (s) => s.fp) });
    report.figure({
      name: 'the live app in place of the frame (script loaded, locale ready, first render)',
      unit: 'ms',
      parley: of(app, (s) => s.rendered),
      raw: of(floor, (s) => s.rendered),
      note: "the 'parley-app-rendered' mark, set right after the first render; raw: the floor's script replacing its line",
    });
    const gzip = (xs: { gzip: number }[]) => xs.reduce((t, s) => t + s.gzip, 0) / 1024;
    report.figure({
      name: 'JS gzip bytes requested before first contentful paint',
      unit: 'KiB',
      parley: gzip(appScripts),
      raw: gzip(floorScripts),
      note: `Resource Timing, gzip -6 of each file; target <= 100 kB; Parley: ${appScripts.map((s) => `${s.url} ${(s.gzip / 1024).toFixed(1)} KiB`).join(', ')}`,
    });
    const lastScript = (s: PaintSample) => Math.max(s.html, ...s.scripts.map((x) => x.end));
    report(
      `where the app's first paint goes (medians): HTML received at ${of(app, (s) => s.html).toFixed(0)} ms, its last script before the paint at ${of(app, lastScript).toFixed(0)} ms, ` +
        `first contentful paint at ${of(app, (s) => s.fcp).toFixed(0)} ms; floor: ${of(floor, (s) => s.html).toFixed(0)}, ${of(floor, lastScript).toFixed(0)}, ${of(floor, (s) => s.fcp).toFixed(0)} ms`,
    );
  } finally {
    await rm(FLOOR_DIR, { recursive: true, force: true });
    await stack.close();
  }
}

/**
 * Scrolls the target from the bottom to the top, one step per animation frame, and reports the frame intervals
 * (rAF to rAF) and, where Chromium has it, the long animation frames (> 50 ms) seen meanwhile.
 */
async function scrolling(browser: Browser, target: ScrollTarget, report: Reporter): Promise<void> {
  const { page, scroller, close } = await target.open(browser);
  try {
    // tsx (esbuild keepNames) wraps named functions in a __name() helper; the page needs one too.
    await page.evaluate('globalThis.__name ??= (f) => f');
    // Main-thread time by kind (DevTools Performance domain), less at the mercy of a busy machine than frame intervals.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const m0 = await metrics();
    const result = await page.evaluate(async (selector) => {
      const el = document.querySelector<HTMLElement>(selector)!;
      el.scrollTop = el.scrollHeight;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const loaf = PerformanceObserver.supportedEntryTypes.includes('long-animation-frame');
      // Each long frame's duration, and how much of it was script (with the layout it forced): ours vs. a busy machine.
      const long: { duration: number; script: number }[] = [];
      const observer = loaf
        ? new PerformanceObserver((list) =>
            list.getEntries().forEach((e) => {
              const scripts = (e as unknown as { scripts: { duration: number }[] }).scripts;
              long.push({ duration: e.duration, script: scripts.reduce((n, s) => n + s.duration, 0) });
            }),
          )
        : null;
      observer?.observe({ type: 'long-animation-frame' });
      const step = 300;
      const intervals: number[] = [];
      const height = el.scrollHeight;
      const nextFrame = () => new Promise<number>((r) => requestAnimationFrame(r));
      let last = await nextFrame();
      while (el.scrollTop > 0) {
        el.scrollTop -= step;
        const now = await nextFrame();
        intervals.push(now - last);
        last = now;
      }
      // Long-animation-frame entries arrive after their frame: one more frame and a task.
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      observer?.disconnect();
      return { intervals, long, loaf, height, rows: document.querySelector(selector)!.querySelectorAll('li, [role="listitem"]').length };
    }, scroller);
    const m1 = await metrics();
    const spent = (name: string) => (((m1[name] ?? 0) - (m0[name] ?? 0)) * 1000) / result.intervals.length;
    const sorted = [...result.intervals].sort((a, b) => a - b);
    const noFloor = `${target.name}, bottom to top, ${result.intervals.length} frames of 300 px (scroll height ${Math.round(result.height / 1000)}k px); no raw floor: a frame has nothing to compare with but the display's 16.7 ms`;
    report.figure({ name: 'scrolling: frame interval p50', unit: 'ms', parley: percentile(sorted, 50), raw: null, note: noFloor });
    report.figure({ name: 'scrolling: frame interval p95', unit: 'ms', parley: percentile(sorted, 95), raw: null });
    report.figure({ name: 'scrolling: frame interval max', unit: 'ms', parley: sorted.at(-1)!, raw: null });
    if (result.loaf) {
      report.figure({
        name: 'scrolling: long animation frames (> 50 ms)',
        unit: 'frames',
        parley: result.long.length,
        raw: null,
        note: result.long.length
          ? `longest ${Math.max(...result.long.map((l) => l.duration)).toFixed(0)} ms, most script in one ${Math.max(...result.long.map((l) => l.script)).toFixed(0)} ms`
          : 'none',
      });
    } else report('long-animation-frame not supported by this Chromium');
    report.figure({
      name: 'scrolling: main-thread work per frame (mean)',
      unit: 'ms',
      parley: spent('TaskDuration'),
      raw: null,
      note: `DevTools Performance metrics: script ${spent('ScriptDuration').toFixed(2)} ms, style ${spent('RecalcStyleDuration').toFixed(2)} ms, layout ${spent('LayoutDuration').toFixed(2)} ms per frame`,
    });
  } finally {
    await close();
  }
}
