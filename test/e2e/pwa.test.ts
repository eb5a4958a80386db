/**
 * Parley as an installable app, in real Chromium: the service worker takes the page after login, the manifest and its
 * icons are served, a reload offline (or with the server stopped) paints the cached shell, one account's shell never
 * shows for another, and a new deployment brings the update prompt, whose Reload activates the new worker.
 *
 * The server serves a copy of public/ (publicDir), so the test can deploy a new build into it without touching the
 * worktree's own build.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { launchBrowser, logInPage, saveScreenshot } from '../harness/browser.js';
import { ROOT_DIR } from '../../server/app/parley.js';

let stack: TestStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let publicDir: string;
let alice: { jid: string; password: string };
const errors: string[] = [];

/** The build id of the worker that controls `page` (asked over a MessageChannel). */
const controllerVersion = (p: Page) =>
  p.evaluate(
    () =>
      new Promise<string | null>((resolve) => {
        const controller = navigator.serviceWorker.controller;
        if (!controller) return resolve(null);
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => resolve((e.data as { version: string }).version);
        controller.postMessage({ type: 'version' }, [channel.port2]);
      }),
  );

/** The account of the cached shell, once there is one. */
const waitForCachedShell = (p: Page, account: string) =>
  p.waitForFunction(
    async (expected) => {
      for (const name of await caches.keys()) {
        if (!name.startsWith('parley-shell-')) continue;
        const shell = await (await caches.open(name)).match('/');
        if (shell && decodeURIComponent(shell.headers.get('x-parley-shell-account') ?? '') === expected) return true;
      }
      return false;
    },
    account,
    { polling: 50, timeout: 10_000 },
  );

/** First paint of the document on screen, in ms since its navigation started. */
const firstPaint = (p: Page) =>
  p.evaluate(() => performance.getEntriesByType('paint').find((e) => e.name === 'first-paint')?.startTime ?? null);

/**
 * Medians over 3 reloads of `p` with its service worker and 3 bypassing it (DevTools' "bypass for network", same
 * page, interleaved so that the machine's load hits both alike), over a network with `latencyMs` of delay: when the
 * shell HTML arrived and when the page first painted, in ms after the reload began.
 */
async function reloadTimings(p: Page, latencyMs: number): Promise<Record<string, number>> {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: latencyMs, downloadThroughput: -1, uploadThroughput: -1 });
  const runs: Record<string, number[]> = { withWorkerHtmlMs: [], withWorkerFirstPaintMs: [], withoutWorkerHtmlMs: [], withoutWorkerFirstPaintMs: [] };
  try {
    for (let i = 0; i < 3; i++) {
      for (const bypass of [false, true]) {
        await cdp.send('Network.setBypassServiceWorker', { bypass });
        await p.reload({ waitUntil: 'commit' });
        await p.waitForFunction(() => performance.getEntriesByType('paint').length > 0, undefined, { polling: 20 });
        const label = bypass ? 'withoutWorker' : 'withWorker';
        runs[`${label}HtmlMs`]!.push(await p.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseStart));
        runs[`${label}FirstPaintMs`]!.push((await firstPaint(p)) ?? NaN);
      }
    }
  } finally {
    await cdp.send('Network.setBypassServiceWorker', { bypass: false });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  }
  return Object.fromEntries(Object.entries(runs).map(([k, xs]) => [`${k.replace('Ms', '')}At${latencyMs}msLatencyMs`, Math.round([...xs].sort((a, b) => a - b)[1]!)]));
}

const figures: Record<string, number | null> = {};

describe('installable app (service worker, manifest, offline, update)', () => {
  before(async () => {
    publicDir = await mkdtemp(path.join(tmpdir(), 'parley-pwa-'));
    await cp(path.join(ROOT_DIR, 'public'), publicDir, { recursive: true });
    stack = await TestStack.start({ publicDir });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    // Every app page this tab shows, in order: its account (sessionStorage survives the tab's navigations).
    await context.addInitScript(() => {
      document.addEventListener('DOMContentLoaded', () => {
        const account = document.body.dataset.account;
        if (!account) return;
        const seen = JSON.parse(sessionStorage.getItem('seenAccounts') ?? '[]') as string[];
        sessionStorage.setItem('seenAccounts', JSON.stringify([...seen, account]));
      });
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && /CSP violation/.test(m.text()) && errors.push(m.text()));
  });
  after(async () => {
    console.log(`pwa figures: ${JSON.stringify(figures)}`);
    await context?.close();
    await browser?.close();
    await stack?.close();
    if (publicDir) await rm(publicDir, { recursive: true, force: true });
  });

  test('after login the service worker controls the page; manifest, icons and /sw.js are served as they must be', async () => {
    alice = await stack.newUser('pwaalice');
    await logInPage(page, stack.url, alice.jid, alice.password);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 10_000 });
    const build = JSON.parse(await readFile(path.join(publicDir, 'build', 'build.json'), 'utf8')) as { version: string; precacheBytes: number };
    assert.equal(await controllerVersion(page), build.version);
    figures.precacheKiB = Math.round(build.precacheBytes / 102.4) / 10;

    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
    assert.equal(manifestHref, '/assets/manifest.webmanifest');
    const res = await fetch(new URL(manifestHref!, stack.url));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/manifest\+json/);
    const manifest = (await res.json()) as { name: string; start_url: string; scope: string; display: string; icons: { src: string; sizes: string; type: string; purpose: string }[] };
    assert.equal(manifest.name, 'Parley');
    assert.equal(manifest.start_url, '/');
    assert.equal(manifest.scope, '/');
    assert.equal(manifest.display, 'standalone');
    assert.ok(manifest.icons.some((i) => i.purpose === 'maskable'), 'a maskable icon');
    for (const icon of manifest.icons) {
      const r = await fetch(new URL(icon.src, stack.url));
      assert.equal(r.status, 200, icon.src);
      assert.equal(r.headers.get('content-type')?.split(';')[0], icon.type, icon.src);
      if (icon.type === 'image/png') {
        const png = PNG.sync.read(Buffer.from(await r.arrayBuffer()));
        assert.equal(`${png.width}x${png.height}`, icon.sizes, icon.src);
      }
    }

    const sw = await fetch(new URL('/sw.js', stack.url));
    assert.equal(sw.status, 200);
    assert.equal(sw.headers.get('cache-control'), 'no-cache');
    assert.match(sw.headers.get('content-type') ?? '', /^text\/javascript/);
    const csp = sw.headers.get('content-security-policy') ?? '';
    assert.match(csp, /manifest-src 'self'/);
    assert.match(csp, /worker-src 'self'/);
  });

  test('offline, a reload paints the cached shell and says so; back online the notice goes', async () => {
    const account = await page.evaluate(() => document.body.dataset.account!);
    await waitForCachedShell(page, account);
    await page.reload();
    await page.locator('.sidebar').waitFor();

    await context.setOffline(true);
    await page.reload();
    await page.locator('.sidebar').waitFor();
    assert.equal(await page.evaluate(() => document.body.dataset.account), account);
    await page.getByTestId('pwa-offline').waitFor();
    figures.firstPaintOfflineMs = await firstPaint(page);
    await saveScreenshot(page, 'pwa-offline.png');

    await context.setOffline(false);
    await page.getByTestId('pwa-offline').waitFor({ state: 'detached' });
  });

  test("logging out and in as another account never shows the first account's shell; a lost session ends on /login", async () => {
    await page.getByTestId('logout').click();
    await page.waitForURL(`${stack.url}/login`);
    const bob = await stack.newUser('pwabob');
    const seenBefore = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('seenAccounts') ?? '[]') as string[]).length);
    await logInPage(page, stack.url, bob.jid, bob.password);
    assert.equal(await page.evaluate(() => document.body.dataset.account), bob.jid);
    await waitForCachedShell(page, bob.jid);
    await page.reload();
    assert.equal(await page.evaluate(() => document.body.dataset.account), bob.jid);

    // The browser session ends on the server without a logout (expired, pruned): the cached shell may paint, then the
    // page must go to /login. (Not clearCookies(): a request still in flight would bring the rolling cookie back.)
    const bobId = stack.parley.sessions.sessions().find((s) => s.jid === bob.jid)!.accountId;
    assert.ok((await stack.parley.stores.sessions.destroyAllForAccount(bobId)) > 0);
    await page.reload();
    await page.waitForURL(`${stack.url}/login`);
    const seen = await page.evaluate(() => JSON.parse(sessionStorage.getItem('seenAccounts') ?? '[]') as string[]);
    const sinceBobsLogin = seen.slice(seenBefore);
    assert.ok(sinceBobsLogin.includes(bob.jid), `bob's shell was shown: ${JSON.stringify(seen)}`);
    assert.ok(!sinceBobsLogin.includes(alice.jid), `alice's shell after bob logged in: ${JSON.stringify(seen)}`);
    assert.equal(await page.evaluate(() => caches.match('/').then((r) => r ?? null)), null, 'no shell kept after the session ended');
  });

  test('a new deployment brings the update prompt; Reload activates the new worker', async () => {
    await logInPage(page, stack.url, alice.jid, alice.password);
    await waitForCachedShell(page, alice.jid);
    const old = await controllerVersion(page);
    assert.ok(old);
    // Deploy: the same files under a new build id, in the worker and in build.json (which the server renders into /).
    const next = [...old].reverse().join('');
    for (const file of ['sw.js', 'build.json']) {
      const target = path.join(publicDir, 'build', file);
      const text = await readFile(target, 'utf8');
      assert.ok(text.includes(old), `${file} names the build`);
      await writeFile(target, text.replaceAll(old, next));
    }
    // What the tab's hourly check does, now.
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
    await page.getByTestId('pwa-update').waitFor({ timeout: 15_000 });
    assert.equal(await controllerVersion(page), old, 'the old worker stays until Reload');
    await saveScreenshot(page, 'pwa-update.png');

    await Promise.all([page.waitForEvent('load'), page.getByTestId('pwa-update').getByRole('button', { name: 'Reload' }).click()]);
    await page.locator('.sidebar').waitFor();
    assert.equal(await controllerVersion(page), next);
    assert.equal(await page.getByTestId('pwa-update').count(), 0);
    assert.equal(await page.evaluate(() => document.body.dataset.account), alice.jid);
    // The new build keeps its own shell; the old build's caches are gone.
    await waitForCachedShell(page, alice.jid);
    const names = await page.evaluate(() => caches.keys());
    assert.deepEqual(names.filter((n) => n.includes(old)), [], `old caches: ${names.join(', ')}`);
  });

  test('with the Parley server stopped, a reload still paints the shell', async () => {
    // Figures first, while the server runs.
    Object.assign(figures, await reloadTimings(page, 0), await reloadTimings(page, 300));
    await page.locator('.sidebar').waitFor();
    await stack.parley.close();
    await page.reload();
    await page.locator('.sidebar').waitFor();
    assert.equal(await page.evaluate(() => document.body.dataset.account), alice.jid);
    figures.firstPaintServerStoppedMs = await firstPaint(page);
    assert.deepEqual(errors, []);
  });
});
