/**
 * Real Chromium: the app page speaks the browser's language from its first render (German here), the settings switch it
 * (French) for every later load of this browser, plurals and times follow the language, and right-to-left names and
 * bodies keep their direction without flipping what is around them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HttpBrowser } from '../harness/parley.js';
import { e2eStack } from '../harness/e2e.js';
import { launchBrowser, logInPage } from '../harness/browser.js';
import { appDe } from '../../client/i18n/catalog/app.de.js';
import { appFr } from '../../client/i18n/catalog/app.fr.js';

const e2e = e2eStack();

test('a German browser gets the app in German; the settings switch it to French, which stays after a reload', async () => {
  const alice = await e2e.stack.newUser('langa');
  const bob = await e2e.stack.newUser('langb');
  const bobBrowser = new HttpBrowser(e2e.stack.url);
  await bobBrowser.login(bob.jid, bob.password);
  const bobTab = bobBrowser.tab();
  await bobTab.waitFor('hello');
  // Two unread messages, one of them right-to-left, before Alice opens Parley.
  const hebrew = `שלום ${randomUUID().slice(0, 8)}`;
  await bobTab.command('send', { to: alice.jid, body: 'first', originId: randomUUID() });
  await bobTab.command('send', { to: alice.jid, body: hebrew, originId: randomUUID() });

  const context = await e2e.browser.newContext({ locale: 'de-DE', timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await logInPage(page, e2e.stack.url, alice.jid, alice.password);
  await page.getByTestId('contact').first().waitFor({ timeout: 20_000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'de');
  assert.equal(await page.getByTestId('add-contact-jid').getAttribute('placeholder'), appDe['addContact.placeholder']);
  const badge = page.locator(`[data-testid="contact"][data-jid="${bob.jid}"] .unread-badge`);
  await badge.waitFor({ timeout: 20_000 });
  assert.equal(await badge.getAttribute('aria-label'), '2 ungelesene Nachrichten', 'ICU plural in German');

  await page.locator(`[data-testid="contact"][data-jid="${bob.jid}"]`).click();
  assert.equal(await page.getByTestId('composer-input').getAttribute('placeholder'), appDe['composer.placeholder']);
  const rtl = page.getByTestId('message-body').filter({ hasText: hebrew });
  await rtl.waitFor({ timeout: 20_000 });
  assert.equal(await rtl.evaluate((el) => getComputedStyle(el).direction), 'rtl', 'a Hebrew body is laid out right to left');
  const first = page.getByTestId('message-body').filter({ hasText: 'first' });
  assert.equal(await first.evaluate((el) => getComputedStyle(el).direction), 'ltr', 'its neighbour stays left to right');
  // German times are 24-hour ("18:32"), never "06:32 PM".
  const time = (await page.locator('.message-time').first().textContent()) ?? '';
  assert.match(time, /^\d{2}:\d{2}$/, `German time format, got ${time}`);

  // Settings, in German; French chosen there.
  await page.getByTestId('settings-open').click();
  await page.getByTestId('settings').waitFor();
  assert.equal(await page.locator('#settings-title').textContent(), appDe['settings.title']);
  await page.getByTestId('settings-language').selectOption('fr');
  await page.locator('#settings-title').filter({ hasText: appFr['settings.title']! }).waitFor({ timeout: 10_000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');

  await page.reload();
  await page.locator('#settings-title').filter({ hasText: appFr['settings.title']! }).waitFor({ timeout: 20_000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'fr', 'the choice outlives the reload');
  // The choice is this browser's: the server pages follow it too (cookie).
  const login = await context.newPage();
  await login.goto(`${e2e.stack.url}/login`);
  assert.equal(await login.getAttribute('html', 'lang'), 'fr');

  assert.deepEqual(errors, []);
  bobTab.close();
  await context.close();
});
