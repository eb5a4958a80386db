/**
 * Real Chromium: the user edits their own profile in the settings; another tab of the account shows the saved
 * fields (markup as text); a bad website is refused with a clear error; a contact's profile panel shows the result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logInPage } from '../harness/browser.js';
import { e2eStack } from '../harness/e2e.js';

const e2e = e2eStack();

test('own profile edited in settings: saved, shown in another tab as text, a javascript: website refused', async () => {
  const { stack, browser } = e2e;
  const alice = await stack.newUser('e2eselfprofile');
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const tab1 = await context.newPage();
  tab1.on('pageerror', (e) => errors.push(e.message));
  await logInPage(tab1, stack.url, alice.jid, alice.password);
  const tab2 = await context.newPage();
  tab2.on('pageerror', (e) => errors.push(e.message));
  await tab2.goto(`${stack.url}/#settings`);
  await tab2.getByTestId('own-profile-fn').waitFor();

  await tab1.goto(`${stack.url}/#settings`);
  const fn = tab1.getByTestId('own-profile-fn');
  await fn.waitFor();
  await fn.fill('Alice <img src=x onerror=alert(1)>');
  await tab1.getByTestId('own-profile-nickname').fill('Ali');
  await tab1.getByTestId('own-profile-emails').fill('alice@example.org\nali@example.net');
  await tab1.getByTestId('own-profile-urls').fill('javascript:alert(1)');
  await tab1.getByTestId('own-profile-save').click();
  const note = tab1.getByTestId('own-profile-status');
  await note.filter({ hasText: 'http' }).waitFor();
  assert.match((await note.getAttribute('class')) ?? '', /form-error/);

  await tab1.getByTestId('own-profile-urls').fill('https://alice.example');
  await tab1.getByTestId('own-profile-save').click();
  await note.filter({ hasText: 'Profile saved.' }).waitFor({ timeout: 15_000 });

  // The other tab had no edits of its own: it shows what was saved.
  await tab2.waitForFunction(() => document.querySelector<HTMLInputElement>('[data-testid="own-profile-nickname"]')?.value === 'Ali');
  assert.equal(await tab2.getByTestId('own-profile-fn').inputValue(), 'Alice <img src=x onerror=alert(1)>');
  assert.equal(await tab2.getByTestId('own-profile-emails').inputValue(), 'alice@example.org\nali@example.net');

  // After a reload the fields come from the server.
  await tab1.reload();
  await tab1.waitForFunction(() => document.querySelector<HTMLInputElement>('[data-testid="own-profile-urls"]')?.value === 'https://alice.example');
  assert.equal(await tab1.locator('img[src="x"]').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});
