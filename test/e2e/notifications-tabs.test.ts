/**
 * Real Chromium, two tabs of one browser (one context): with both in the background a message shows ONE notification,
 * from whichever tab leads; none while either tab is visible; a muted conversation (set in one tab, stored on the
 * server) notifies in neither but still counts unread, in the title and the sidebar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { HttpBrowser } from '../harness/parley.js';
import { e2eStack } from '../harness/e2e.js';
import { logInPage } from '../harness/browser.js';
import { until } from '../harness/poll.js';

const e2e = e2eStack();

type Shown = { title: string; body: string };
const shown = (page: Page) => page.evaluate(() => (window as unknown as { __notifications: Shown[] }).__notifications);
/** Headless Chromium's tabs are always "visible": the test says when one is in the background, as a hidden tab would. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate(`Object.defineProperty(document, 'visibilityState', { configurable: true, get() { return '${hidden ? 'hidden' : 'visible'}'; } });
    document.dispatchEvent(new Event('visibilitychange'));`);

test('two tabs in the background: one notification per message; none while one is visible; mute stops them; unread in the title', async () => {
  const alice = await e2e.stack.newUser('ntab-a');
  const bob = await e2e.stack.newUser('ntab-b');
  const bobBrowser = new HttpBrowser(e2e.stack.url);
  await bobBrowser.login(bob.jid, bob.password);
  const bobTab = bobBrowser.tab();
  await bobTab.waitFor('hello');

  const context = await e2e.browser.newContext();
  await context.grantPermissions(['notifications'], { origin: e2e.stack.url });
  await context.addInitScript(`
    localStorage.setItem('parley.notifications', 'on');
    const seen = [];
    window.__notifications = seen;
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title, options) {
        super(title, options);
        seen.push({ title, body: (options && options.body) || '' });
      }
    }
    Object.defineProperty(Recorded, 'permission', { get() { return Real.permission; } });
    Recorded.requestPermission = (...args) => Real.requestPermission(...args);
    window.Notification = Recorded;
  `);
  const one = await context.newPage();
  await logInPage(one, e2e.stack.url, alice.jid, alice.password);
  const two = await context.newPage();
  await two.goto(`${e2e.stack.url}/`);
  await two.getByTestId('search-input').waitFor();
  const tabs = [one, two];
  const all = async () => (await Promise.all(tabs.map(shown))).flat();

  const say = async (body: string) => {
    await bobTab.command('send', { to: alice.jid, body, originId: randomUUID() });
    await Promise.all(tabs.map((p) => p.locator('#announcer').filter({ hasText: body }).waitFor({ timeout: 20_000 })));
  };

  await Promise.all(tabs.map((p) => setHidden(p, true)));
  const first = `first ${randomUUID()}`;
  await say(first);
  await until(async () => (await all()).length > 0, 'a notification', 10_000);
  const second = `second ${randomUUID()}`;
  await say(second);
  await until(async () => (await all()).length > 1, 'a second notification', 10_000);
  assert.deepEqual((await all()).map((n) => n.body).sort(), [first, second].sort(), 'one notification per message across both tabs');
  assert.ok((await all()).every((n) => n.title === bob.jid));
  const counts = await Promise.all(tabs.map(async (p) => (await shown(p)).length));
  assert.ok(counts.includes(0), `one tab shows them all (${counts})`);

  // One tab visible: no notification in either.
  await setHidden(two, false);
  await say(`while tab two is visible ${randomUUID()}`);
  await setHidden(two, true);
  // The unread count reaches the title of both tabs (the visible tab shows the sidebar, not the conversation).
  await Promise.all(tabs.map((p) => p.waitForFunction(() => /^\(3\) /.test(document.title), undefined, { timeout: 10_000 })));

  // Mute Bob in tab one: the mute reaches tab two through the server.
  await setHidden(one, false);
  await one.goto(`${e2e.stack.url}/#chat/${bob.jid}`);
  await one.getByTestId('mute-toggle').click();
  await one.getByTestId('mute-toggle').and(one.locator('[aria-pressed="true"]')).waitFor();
  await one.goto(`${e2e.stack.url}/#`);
  await two.goto(`${e2e.stack.url}/#chat/${bob.jid}`);
  await two.getByTestId('mute-toggle').and(two.locator('[aria-pressed="true"]')).waitFor({ timeout: 10_000 });
  await two.goto(`${e2e.stack.url}/#`);
  await two.getByTestId('search-input').waitFor();
  await Promise.all(tabs.map((p) => setHidden(p, true)));
  const before = (await all()).length;
  const muted = `muted ${randomUUID()}`;
  await say(muted);
  // Unread still counted while muted: the sidebar badge and the title.
  await Promise.all(tabs.map((p) => p.waitForFunction(() => /^\(\d+\) /.test(document.title) && document.querySelector('.unread-badge') !== null, undefined, { timeout: 10_000 })));
  // Then unmuted: the next message notifies again, so the muted one had its chance to show and did not.
  await setHidden(one, false);
  await one.goto(`${e2e.stack.url}/#chat/${bob.jid}`);
  await one.getByTestId('mute-toggle').click();
  await one.getByTestId('mute-toggle').and(one.locator('[aria-pressed="false"]')).waitFor();
  await one.goto(`${e2e.stack.url}/#`);
  await one.getByTestId('search-input').waitFor();
  await Promise.all(tabs.map((p) => setHidden(p, true)));
  const after = `after unmute ${randomUUID()}`;
  await say(after);
  await until(async () => (await all()).length > before, 'a notification after unmuting', 10_000);
  assert.deepEqual((await all()).slice(before).map((n) => n.body), [after], 'nothing for the muted message, one for the next');

  bobTab.close();
  await context.close();
});
