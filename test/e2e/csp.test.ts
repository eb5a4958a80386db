/**
 * Parley's own tab code keeps within its Content-Security-Policy: a start-up (log in, OMEMO layer loaded, device
 * created) reports no CSP violation in Chromium (issue 13 item 5: long.js tried to compile WebAssembly, 'wasm-eval').
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eStack } from '../harness/e2e.js';
import { logInPage } from '../harness/browser.js';

const e2e = e2eStack();

test('no CSP violation while a tab starts, OMEMO included', async () => {
  const user = await e2e.stack.newUser('csp');
  const context = await e2e.browser.newContext();
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
  await logInPage(page, e2e.stack.url, user.jid, user.password);
  await page.locator('body[data-omemo-device]').waitFor({ timeout: 30_000 });
  // Violation events are queued as tasks: one more task later, every one raised so far has been dispatched.
  const violations = await page.evaluate(() => new Promise<string[]>((resolve) => setTimeout(() => resolve((window as unknown as { __csp: string[] }).__csp), 0)));
  assert.deepEqual(violations, []);
  assert.deepEqual(consoleCsp, []);
  await context.close();
});
