/** Real Chromium: from the login page to a new account, a wrong repeat shown at its field, then straight into a live app. */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { launchBrowser, saveScreenshot } from '../harness/browser.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let browser: Browser;

  before(async () => {
    stack = await TestStack.start({ server: kind, env: { PARLEY_REGISTRATION: 'true', PARLEY_DEFAULT_DOMAIN: 'localhost' } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('create an account from the login page and land in a working app', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.url}/login`);
    await page.getByTestId('login-register-link').click();
    await page.waitForURL(`${stack.url}/register`);

    const name = `e2enew${randomUUID().slice(0, 8)}`;
    await page.getByTestId('register-jid').fill(name);
    await page.getByTestId('register-password').fill('a-good-password');
    await page.getByTestId('register-confirm').fill('a-different-one');
    await page.getByTestId('register-submit').click();
    await page.getByTestId('register-confirm-error').waitFor();
    assert.equal(await page.getByTestId('register-confirm-error').textContent(), 'The two passwords do not match.');
    assert.equal(await page.getByTestId('register-jid').inputValue(), name);
    assert.equal(await page.getByTestId('register-password').inputValue(), '', 'passwords are not sent back');
    await saveScreenshot(page, `${kind}-registration-mismatch`);

    await page.getByTestId('register-password').fill('a-good-password');
    await page.getByTestId('register-confirm').fill('a-good-password');
    await page.getByTestId('register-submit').click();
    await page.waitForURL(`${stack.url}/`);

    // The app is live: adding a contact goes through the socket and the XMPP session.
    const peer = await stack.newUser('e2epeer');
    await page.getByTestId('add-contact-jid').fill(peer.jid);
    await page.getByTestId('add-contact-submit').click();
    await page.locator(`[data-testid="contact"][data-jid="${peer.jid}"]`).waitFor({ timeout: 15_000 });
    assert.ok(await page.getByText(`${name}@localhost`).first().isVisible());
    assert.deepEqual(errors, []);
    await context.close();
  });
});
