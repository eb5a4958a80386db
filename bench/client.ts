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
import { availableParallelism, loadavg } from 'node:os';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestStack } from '../test/harness/parley.js';
import { launchBrowser, logInPage } from '../test/harness/browser.js';
import { startVirtualListFixture } from '../test/harness/virtual-list-fixture.js';
import { percentile } from './stats.js';

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

export async function benchClient(report: (line: string) => void, target: ScrollTarget = fixtureMessages(2000)): Promise<void> {
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

async function firstPaint(browser: Browser, report: (line: string) => void): Promise<void> {
  const stack = await TestStack.start();
  try {
    const user = await stack.newUser('bench');
    const login = await browser.newContext();
    await logInPage(await login.newPage(), stack.url, user.jid, user.password);
    const session = await login.storageState();
    await login.close();

    const fp: number[] = [];
    const fcp: number[] = [];
    let scripts: { url: string; gzip: number }[] = [];
    for (let i = 0; i < LOADS; i++) {
      // A fresh context each time: the session cookie, but an empty HTTP cache (a first visit of the day).
      const context: BrowserContext = await browser.newContext({ storageState: session });
      const page = await context.newPage();
      await page.goto(`${stack.url}/`);
      const paint = await page.evaluate(
        () =>
          new Promise<{ fp: number; fcp: number; scripts: string[] }>((resolve) => {
            new PerformanceObserver((list, observer) => {
              const fcpEntry = performance.getEntriesByName('first-contentful-paint')[0];
              if (!fcpEntry) return;
              observer.disconnect();
              const fpEntry = performance.getEntriesByName('first-paint')[0] ?? fcpEntry;
              const scripts = performance
                .getEntriesByType('resource')
                .filter((e) => e.startTime < fcpEntry.startTime && /\.m?js(\?|$)/.test(new URL(e.name).pathname))
                .map((e) => e.name);
              resolve({ fp: fpEntry.startTime, fcp: fcpEntry.startTime, scripts });
            }).observe({ type: 'paint', buffered: true });
          }),
      );
      if (page.url() !== `${stack.url}/`) throw new Error(`not the app page: ${page.url()}`);
      fp.push(paint.fp);
      fcp.push(paint.fcp);
      if (i === 0) {
        scripts = await Promise.all(
          paint.scripts.map(async (url) => ({ url: new URL(url).pathname, gzip: gzipSync(await (await context.request.get(url)).body()).length })),
        );
      }
      await context.close();
    }
    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    report(`app page after login, cold cache: first paint ${median(fp).toFixed(0)} ms, first contentful paint ${median(fcp).toFixed(0)} ms (median of ${LOADS} loads; FCP min ${Math.min(...fcp).toFixed(0)}, max ${Math.max(...fcp).toFixed(0)})`);
    const total = scripts.reduce((n, s) => n + s.gzip, 0);
    report(
      `JS requested before first contentful paint (Resource Timing; gzip -6 of each file): ${(total / 1024).toFixed(1)} KiB gzip in ${scripts.length} file(s)` +
        (scripts.length ? ` (${scripts.map((s) => `${s.url} ${(s.gzip / 1024).toFixed(1)} KiB`).join(', ')})` : ''),
    );
  } finally {
    await stack.close();
  }
}

/**
 * Scrolls the target from the bottom to the top, one step per animation frame, and reports the frame intervals
 * (rAF to rAF) and, where Chromium has it, the long animation frames (> 50 ms) seen meanwhile.
 */
async function scrolling(browser: Browser, target: ScrollTarget, report: (line: string) => void): Promise<void> {
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
    report(
      `scrolling ${target.name} bottom to top, ${result.intervals.length} frames of 300 px (scroll height ${Math.round(result.height / 1000)}k px): ` +
        `frame interval max ${sorted.at(-1)!.toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, p50 ${percentile(sorted, 50).toFixed(1)} ms; ` +
        (result.loaf
          ? `long animation frames (> 50 ms): ${result.long.length}` +
            (result.long.length
              ? `, longest ${Math.max(...result.long.map((l) => l.duration)).toFixed(0)} ms, most script in one ${Math.max(...result.long.map((l) => l.script)).toFixed(0)} ms`
              : '')
          : 'long-animation-frame not supported'),
    );
    report(
      `main-thread work per frame while scrolling (mean): script ${spent('ScriptDuration').toFixed(2)} ms, style ${spent('RecalcStyleDuration').toFixed(2)} ms, layout ${spent('LayoutDuration').toFixed(2)} ms, all tasks ${spent('TaskDuration').toFixed(2)} ms`,
    );
    report(`(machine load average while measuring: ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs)`);
  } finally {
    await close();
  }
}
