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
