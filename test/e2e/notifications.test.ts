/**
 * Real Chromium: notifications are off until the user turns them on in the settings (the browser's permission asked then);
 * a message that arrives while the tab is in the background shows one, named after the contact, without the text of an
 * encrypted message; nothing shows while the tab is in front or after they are turned off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { HttpBrowser } from '../harness/parley.js';
import { e2eStack } from '../harness/e2e.js';
import { launchBrowser, logInPage } from '../harness/browser.js';

const e2e = e2eStack();

type Shown = { title: string; body: string; tag: string };
const shown = (page: Page) => page.evaluate(() => (window as unknown as { __notifications: Shown[] }).__notifications);
/** Headless Chromium's tab is always "visible": the test says when it is in the background, as a hidden tab would. */
// (Scripts as strings: tsx would wrap functions defined inside page code in __name, which the page does not have.)
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate(`Object.defineProperty(document, 'visibilityState', { configurable: true, get() { return '${hidden ? 'hidden' : 'visible'}'; } })`);

test('notifications: off by default, on from the settings, shown only for a tab in the background', async () => {
  const alice = await e2e.stack.newUser('nota');
  const bob = await e2e.stack.newUser('notb');
  const bobBrowser = new HttpBrowser(e2e.stack.url);
  await bobBrowser.login(bob.jid, bob.password);
  const bobTab = bobBrowser.tab();
  await bobTab.waitFor('hello');

  const context = await e2e.browser.newContext();
  await context.grantPermissions(['notifications'], { origin: e2e.stack.url });
  // What the page shows through the Notification API, recorded before any page script runs.
  await context.addInitScript(`
    const seen = [];
    window.__notifications = seen;
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title, options) {
        super(title, options);
        seen.push({ title, body: (options && options.body) || '', tag: (options && options.tag) || '' });
      }
    }
    Object.defineProperty(Recorded, 'permission', { get() { return Real.permission; } });
    Recorded.requestPermission = (...args) => Real.requestPermission(...args);
    window.Notification = Recorded;
  `);
  const page = await context.newPage();
  await logInPage(page, e2e.stack.url, alice.jid, alice.password);

  const say = async (body: string) => {
    await bobTab.command('send', { to: alice.jid, body, originId: randomUUID() });
    await page.locator('#announcer').filter({ hasText: body }).waitFor({ timeout: 20_000 });
  };

  await setHidden(page, true);
  await say(`before turning them on ${randomUUID()}`);
  assert.deepEqual(await shown(page), [], 'off by default');

  await page.goto(`${e2e.stack.url}/#settings`);
  await page.getByTestId('settings-notifications').check();
  await setHidden(page, false);
  await say(`while in front ${randomUUID()}`);
  assert.deepEqual(await shown(page), [], 'nothing while the tab is in front');

  await setHidden(page, true);
  const text = `in the background ${randomUUID()}`;
  await say(text);
  assert.deepEqual(await shown(page), [{ title: bob.jid, body: text, tag: `parley:${bob.jid}` }]);

  // The choice is this browser's: after a reload it is still on.
  await page.reload();
  await page.getByTestId('settings-notifications').waitFor();
  assert.equal(await page.getByTestId('settings-notifications').isChecked(), true);
  await page.getByTestId('settings-notifications').uncheck();
  await setHidden(page, true);
  await say(`after turning them off ${randomUUID()}`);
  assert.deepEqual(await shown(page), [], 'off again');

  bobTab.close();
  await context.close();
});
