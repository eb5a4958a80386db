/**
 * Parley's own tab code keeps within its Content-Security-Policy: a start-up (log in, OMEMO layer loaded, device
 * created) reports no CSP violation in Chromium (issue 13 item 5: long.js tried to compile WebAssembly, 'wasm-eval').
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { launchBrowser, logInPage } from '../harness/browser.js';

let stack: TestStack;
let browser: Browser;

before(async () => {
  stack = await TestStack.start();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('no CSP violation while a tab starts, OMEMO included', async () => {
  const user = await stack.newUser('csp');
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleCsp: string[] = [];
  page.on('console', (m) => {
    if (/content security policy|wasm-eval|unsafe-eval/i.test(m.text())) consoleCsp.push(m.text());
  });
  // Installed before any page script runs: every violation of the page's policy is recorded.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });
  await logInPage(page, stack.url, user.jid, user.password);
  await page.locator('body[data-omemo-device]').waitFor({ timeout: 30_000 });
  // Violation events are queued as tasks: one more task later, every one raised so far has been dispatched.
  const violations = await page.evaluate(() => new Promise<string[]>((resolve) => setTimeout(() => resolve((window as unknown as { __csp: string[] }).__csp), 0)));
  assert.deepEqual(violations, []);
  assert.deepEqual(consoleCsp, []);
  await context.close();
});
