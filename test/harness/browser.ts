/** Real Chromium for end-to-end tests: the Debian package driven by playwright-core (never a downloaded browser). */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}. Install it with \`apt-get install chromium\` (or set PARLEY_CHROMIUM).`);
  }
  // Playwright gives every launch a fresh temporary --user-data-dir and deletes it on close.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

/** Saves a full-page PNG into test/artifacts/ and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Logs `page` in through the login form and waits for the app shell. */
export async function logInPage(page: Page, baseUrl: string, jid: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-jid').fill(jid);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(`${baseUrl}/`);
}

export interface WatchedPage {
  page: Page;
  /** Numbers passed to xss(n) by any payload that ran. */
  hits: () => Promise<number[]>;
  /** Messages of alert/confirm/prompt dialogs that opened (each dismissed). */
  dialogs: string[];
}

/**
 * A page for XSS tests in a fresh context: `xss(n)` is installed by the test through the DevTools protocol, not by the
 * page, so any payload that runs calls it; dialogs are recorded and dismissed.
 */
export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const page = await (await browser.newContext()).newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.addInitScript(() => {
    (window as unknown as { __hits: number[] }).__hits = [];
    (window as unknown as { xss: (n: number) => void }).xss = (n) => (window as unknown as { __hits: number[] }).__hits.push(n);
  });
  return { page, dialogs, hits: () => page.evaluate(() => (window as unknown as { __hits: number[] }).__hits) };
}

/**
 * Parley's lists are virtualised: only the rows near the viewport are in the DOM. This scrolls the list in `scroller`
 * from where it is towards its start (`up`, a conversation: older pages load at the top) or its end (`down`, the
 * contact list), half a screen at a time, and calls `collect` at every step, so each row is rendered (and seen) once.
 * It stops when `done()` says so or at the list's start/end (for a conversation: once its beginning shows).
 */
export async function scrollThrough(
  page: Page,
  scroller: string,
  direction: 'up' | 'down',
  collect: () => Promise<void>,
  done: () => boolean = () => false,
): Promise<void> {
  const beginning = () =>
    page.evaluate(() => !!document.querySelector('.history-status')?.textContent?.includes('beginning'));
  for (let step = 0; step < 1_000; step++) {
    await collect();
    if (done()) return;
    const edge = await page.locator(scroller).evaluate((el, dir) => {
      el.scrollBy(0, (dir === 'up' ? -1 : 1) * el.clientHeight * 0.5);
      return dir === 'up' ? el.scrollTop <= 0 : el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
    }, direction);
    // A frame later the list has rendered the rows of the new position.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    if (!edge) continue;
    if (direction === 'down') return collect();
    // At the top of a conversation: the next older page comes (the first row changes), or the beginning shows.
    if (await beginning()) return collect();
    const first = await page.locator('[data-testid="message"]').first().getAttribute('data-id');
    await page.waitForFunction(
      (id) =>
        document.querySelector('[data-testid="message"]')?.getAttribute('data-id') !== id ||
        !!document.querySelector('.history-status')?.textContent?.includes('beginning'),
      first,
      { timeout: 20_000 },
    );
  }
  throw new Error(`scrollThrough(${scroller}): still not through after 1,000 steps`);
}
