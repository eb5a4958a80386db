/**
 * axe-core in real Chromium on every screen of Parley: the login page, the main screen, a conversation with messages
 * both ways, the Security panel, the settings, the shortcuts list and the admin panel; the main screen and the
 * conversation in the dark theme too (contrast). No serious or critical violation is allowed. And the live region:
 * an incoming message's text is announced in #announcer.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { launchBrowser, logInPage, saveScreenshot } from '../harness/browser.js';
import { assertNoSeriousViolations } from '../harness/axe.js';

const WAIT = { timeout: 30_000 };

describe('accessibility (axe-core, Prosody)', () => {
  let stack: TestStack;
  let browser: Browser;
  let admin: { jid: string; password: string };
  let bob: { jid: string; password: string };
  let bobTab: TestTab;

  before(async () => {
    stack = await TestStack.start({ env: { PARLEY_ADMINS: 'a11yboss@localhost', PARLEY_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parley-a11y-')) } });
    browser = await launchBrowser();
    const password = `pw-${randomUUID()}`;
    admin = { jid: await stack.server.createUser('a11yboss', password), password };
    bob = await stack.newUser('a11ybob');
    const bobBrowser = new HttpBrowser(stack.url);
    assert.equal((await bobBrowser.login(bob.jid, bob.password)).status, 303);
    bobTab = bobBrowser.tab();
    await bobTab.waitFor('hello');
  });
  after(async () => {
    bobTab?.close();
    await browser?.close();
    await stack?.close();
  });

  /** A logged-in page of a fresh account that has a conversation with Bob: two messages out, two in. */
  async function conversationPage(colorScheme: 'light' | 'dark'): Promise<{ page: Page; jid: string; errors: string[] }> {
    const user = await stack.newUser('a11yalice');
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 800 }, colorScheme })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logInPage(page, stack.url, user.jid, user.password);
    await page.getByTestId('contact-list').waitFor({ state: 'attached', ...WAIT });
    await assertNoSeriousViolations(page, `main screen (${colorScheme})`);
    // Contacts both ways: Bob shows his OMEMO device list (for the Security panel) to contacts only.
    await bobTab.command('addContact', { jid: user.jid, name: null });
    await page.getByTestId('add-contact-jid').fill(bob.jid);
    await page.getByTestId('add-contact-submit').click();
    await page.locator(`[data-testid="contact"][data-jid="${bob.jid}"]`).click();
    for (const text of ['Hello Bob, how are you?', 'Did you get the file?']) {
      await page.getByTestId('composer-input').fill(text);
      await page.getByTestId('composer-input').press('Enter');
      await page.getByTestId('message-body').filter({ hasText: text }).waitFor(WAIT);
    }
    for (const text of [`Fine, thanks ${randomUUID()}`, 'Yes, got it.']) {
      await bobTab.command('send', { to: user.jid, body: text, originId: randomUUID() });
      await page.getByTestId('message-body').filter({ hasText: text }).waitFor(WAIT);
    }
    return { page, jid: user.jid, errors };
  }

  test('the login page has no serious violation', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${stack.url}/login`);
    await assertNoSeriousViolations(page, 'login page');
    // The error state too: a wrong password.
    await page.getByTestId('login-jid').fill(bob.jid);
    await page.getByTestId('login-password').fill('wrong');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor(WAIT);
    await assertNoSeriousViolations(page, 'login page with an error');
    await page.context().close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`main screen and a conversation with messages both ways (${colorScheme} theme)`, async () => {
      const { page, errors } = await conversationPage(colorScheme);
      const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      if (colorScheme === 'dark') assert.equal(bg, 'rgb(18, 20, 28)', 'the dark palette follows the system setting');
      await page.locator('[data-testid="message"][data-direction="out"][data-state="delivered"]').first().waitFor(WAIT);
      await assertNoSeriousViolations(page, `conversation (${colorScheme})`);
      await saveScreenshot(page, `a11y-conversation-${colorScheme}.png`);
      assert.deepEqual(errors, []);
      await page.context().close();
    });
  }

  test('an incoming message lands in the live region (#announcer)', async () => {
    const { page } = await conversationPage('light');
    const live = page.locator('#announcer');
    assert.equal(await live.getAttribute('aria-live'), 'polite');
    const text = `Announce me ${randomUUID()}`;
    await bobTab.command('send', { to: (await page.evaluate(() => document.querySelector('.me-jid')?.textContent)) ?? '', body: text, originId: randomUUID() });
    await live.filter({ hasText: text }).waitFor({ state: 'attached', ...WAIT });
    // The message list is a log, labelled by the conversation's title; it does not announce itself twice.
    const log = page.getByTestId('message-list');
    assert.equal(await log.getAttribute('role'), 'log');
    assert.equal(await log.getAttribute('aria-live'), 'off');
    await page.context().close();
  });

  test('the Security panel (devices loaded), the shortcuts list and the settings page', async () => {
    const { page } = await conversationPage('light');
    await page.getByTestId('security-open').click();
    await page.getByTestId('security-dialog').waitFor(WAIT);
    // The panel waits for this tab's OMEMO layer (seconds on a loaded machine): its own device section means loaded.
    await page.getByTestId('security-own-fingerprint').waitFor({ timeout: 60_000 }).catch(async (err: Error) => {
      throw new Error(`${err.message}\nthe panel shows: ${await page.getByTestId('security-dialog').innerText()}`);
    });
    await assertNoSeriousViolations(page, 'Security panel');
    await page.getByTestId('security-close').click();
    await page.getByTestId('security-dialog').waitFor({ state: 'hidden', ...WAIT });

    await page.locator('body').press('?');
    await page.getByTestId('shortcuts-dialog').waitFor(WAIT);
    await assertNoSeriousViolations(page, 'shortcuts dialog');
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcuts-dialog').waitFor({ state: 'hidden', ...WAIT });

    await page.goto(`${stack.url}/#settings`);
    await page.getByTestId('settings').waitFor(WAIT);
    await page.getByTestId('settings-device').first().waitFor(WAIT);
    await assertNoSeriousViolations(page, 'settings page');
    await page.context().close();
  });

  test('the admin panel has no serious violation', async () => {
    const page = await (await browser.newContext()).newPage();
    await logInPage(page, stack.url, admin.jid, admin.password);
    const res = await page.goto(`${stack.url}/admin`);
    assert.equal(res?.status(), 200);
    await assertNoSeriousViolations(page, 'admin panel');
    await saveScreenshot(page, 'a11y-admin.png');
    await page.context().close();
  });
});
