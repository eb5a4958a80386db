/**
 * Real Chromium against a real Parley + Prosody: log in, send from tab 1, see it in tab 2, receive a
 * reply from another account, reload and see the history.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { launchBrowser, saveScreenshot, logInPage } from '../harness/browser.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    stack = await TestStack.start({ server: kind });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await stack?.close();
  });

  test('log in, chat across two tabs and with another account, reload and see history', async () => {
    const alice = await stack.newUser('e2ealice');
    const bob = await stack.newUser('e2ebob');

    const tab1 = await context.newPage();
    const errors: string[] = [];
    tab1.on('pageerror', (e) => errors.push(e.message));
    await logInPage(tab1, stack.url, alice.jid, alice.password);

    // Bob uses Parley too, through plain HTTP + socket.io.
    const bobBrowser = new HttpBrowser(stack.url);
    assert.equal((await bobBrowser.login(bob.jid, bob.password)).status, 303);
    const bobTab = bobBrowser.tab();
    await bobTab.waitFor('hello');

    await tab1.getByTestId('add-contact-jid').fill(bob.jid);
    await tab1.getByTestId('add-contact-submit').click();
    await tab1.locator(`[data-testid="contact"][data-jid="${bob.jid}"]`).click();

    const tab2 = await context.newPage();
    await tab2.goto(`${stack.url}/#chat/${bob.jid}`);

    const text = `Hello from tab 1 <img src=x onerror=alert(1)> ${randomUUID()}`;
    await tab1.getByTestId('composer-input').fill(text);
    await tab1.getByTestId('composer-input').press('Enter');

    const inTab2 = tab2.getByTestId('message-body').filter({ hasText: text });
    await inTab2.waitFor({ timeout: 10_000 });
    assert.equal(await inTab2.textContent(), text, 'rendered as text, not HTML');
    await bobTab.waitFor('message', (e) => e.message.body === text);

    const reply = `Reply from Bob ${randomUUID()}`;
    await bobTab.command('send', { to: alice.jid, body: reply, originId: randomUUID() });
    await tab1.getByTestId('message-body').filter({ hasText: reply }).waitFor({ timeout: 10_000 });
    await tab2.getByTestId('message-body').filter({ hasText: reply }).waitFor({ timeout: 10_000 });
    // Bob's Parley answers the receipt request: Alice's message goes pending -> sent -> delivered.
    await tab1.locator(`[data-testid="message"][data-direction="out"][data-state="delivered"]`).first().waitFor({ timeout: 10_000 });

    await tab1.reload();
    await tab1.getByTestId('message-body').filter({ hasText: reply }).waitFor({ timeout: 10_000 });
    await tab1.getByTestId('message-body').filter({ hasText: text }).waitFor({ timeout: 10_000 });
    assert.equal(await stack.server.c2sSessionCount(alice.jid), 1, 'two Chromium tabs, one XMPP session');
    await saveScreenshot(tab1, `${kind}-e2e-chat.png`);

    bobTab.close();
    assert.deepEqual(errors, []);
  });

  test('a wrong password shows a clear error on the login page', async () => {
    const user = await stack.newUser('e2ewrong');
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${stack.url}/login`);
    await page.getByTestId('login-jid').fill(user.jid);
    await page.getByTestId('login-password').fill('wrong');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    assert.match((await page.getByTestId('login-error').textContent()) ?? '', /Wrong address or password/);
    await saveScreenshot(page, `${kind}-e2e-login-error.png`);
  });
});
