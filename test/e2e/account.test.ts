/**
 * Real Chromium: from the app's settings to the account page, a wrong current password shown, then the password
 * changed through the form; the app still works, and the new password is the one that logs in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eStack } from '../harness/e2e.js';
import { saveScreenshot } from '../harness/browser.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { assertNoSeriousViolations } from '../harness/axe.js';

const e2e = e2eStack();

test('change the password through the UI', async () => {
  const { stack, browser } = e2e;
  const user = await stack.newUser('e2epw');
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${stack.url}/login`);
  await page.getByTestId('login-jid').fill(user.jid);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(`${stack.url}/`);

  // This tab's OMEMO device (announced and published) is then listed on the account page and marked as this tab.
  await page.waitForSelector('body[data-omemo-device]', { state: 'attached', timeout: 60_000 });
  const device = await page.evaluate(() => document.body.dataset.omemoDevice!);
  await page.getByTestId('settings-open').click();
  await page.getByTestId('settings-account-link').click();
  await page.waitForURL(/\/account/);
  await page.getByTestId('account-page').waitFor();
  // This browser is listed and marked.
  assert.equal(await page.locator('[data-testid="account-browser"][data-this="true"]').count(), 1);
  const own = page.locator(`[data-testid="account-device"][data-device-id="${device}"]`);
  // Server-rendered from the PEP list: if the tab's publication is still on its way, look again.
  for (let i = 0; i < 20 && (await own.count()) === 0; i++) {
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
  await own.waitFor();
  assert.match((await own.textContent())!, /this tab/);
  await assertNoSeriousViolations(page, 'account page');

  await page.getByTestId('account-current').fill('not-my-password');
  await page.getByTestId('account-new').fill('a-new-password');
  await page.getByTestId('account-confirm').fill('a-new-password');
  await page.getByTestId('account-password-submit').click();
  await page.getByTestId('account-error').waitFor();
  assert.equal(await page.getByTestId('account-error').textContent(), 'The password is wrong.');
  await assertNoSeriousViolations(page, 'account page with an error');

  await page.getByTestId('account-current').fill(user.password);
  await page.getByTestId('account-new').fill('a-new-password');
  await page.getByTestId('account-confirm').fill('a-new-password');
  await page.getByTestId('account-password-submit').click();
  await page.getByTestId('account-notice').waitFor();
  assert.match((await page.getByTestId('account-notice').textContent())!, /Your password was changed/);
  await saveScreenshot(page, 'account-password-changed');

  // Back in the app: still live (a contact added goes through the XMPP session).
  await page.getByTestId('account-back').click();
  await page.waitForURL(`${stack.url}/`);
  const peer = await stack.newUser('e2epwpeer');
  await page.getByTestId('add-contact-jid').fill(peer.jid);
  await page.getByTestId('add-contact-submit').click();
  await page.locator(`[data-testid="contact"][data-jid="${peer.jid}"]`).waitFor({ timeout: 15_000 });

  const login = await XmppPeer.login(stack.server, user.jid, 'a-new-password');
  await login.stop();
  await assert.rejects(XmppPeer.login(stack.server, user.jid, user.password));
  assert.deepEqual(errors, []);
  await context.close();
});
