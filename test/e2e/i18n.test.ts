/**
 * Real Chromium: the server-rendered pages speak the browser's language (German, French), and the parley_locale
 * cookie (the choice made in the app) wins over it. Chromium's Accept-Language follows the context's locale.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { launchBrowser } from '../harness/browser.js';

let stack: TestStack;
let browser: Browser;
let user: { jid: string; password: string };

before(async () => {
  stack = await TestStack.start({ env: { PARLEY_REGISTRATION: 'true' } });
  browser = await launchBrowser();
  user = await stack.newUser('i18n');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

/** Opens the login page; returns the page and the Accept-Language header Chromium sent for it. */
async function openLogin(context: BrowserContext): Promise<{ page: Page; acceptLanguage: string | undefined }> {
  const page = await context.newPage();
  const response = await page.goto(`${stack.url}/login`);
  const headers = await response!.request().allHeaders();
  return { page, acceptLanguage: headers['accept-language'] };
}

async function wrongPassword(page: Page): Promise<string | null> {
  await page.getByTestId('login-jid').fill(user.jid);
  await page.getByTestId('login-password').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-error').waitFor();
  return page.getByTestId('login-error').textContent();
}

test('a German browser gets the login page in German, and the wrong-password error too', async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  try {
    const { page, acceptLanguage } = await openLogin(context);
    assert.match(acceptLanguage ?? '', /^de-DE\b/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.equal(await page.locator('html').getAttribute('dir'), 'ltr');
    assert.equal(await page.title(), 'Anmelden — Parley');
    assert.equal(await page.locator('label[for="login-jid"]').textContent(), 'XMPP-Adresse');
    assert.equal(await page.locator('label[for="login-password"]').textContent(), 'Passwort');
    assert.equal(await page.getByTestId('login-submit').textContent(), 'Anmelden');
    assert.equal(await wrongPassword(page), 'Falsche Adresse oder falsches Passwort.');
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');

    await page.goto(`${stack.url}/register`);
    await page.getByTestId('register-jid').fill('someone@localhost');
    await page.getByTestId('register-password').fill('a-good-password');
    await page.getByTestId('register-confirm').fill('a-different-one');
    await page.getByTestId('register-submit').click();
    await page.getByTestId('register-confirm-error').waitFor();
    assert.equal(await page.getByTestId('register-confirm-error').textContent(), 'Die beiden Passwörter stimmen nicht überein.');
    assert.equal(await page.locator('#register-password-hint').textContent(), 'Mindestens 8 Zeichen.');
  } finally {
    await context.close();
  }
});

test('a French browser gets French, the 404 page included', async () => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  try {
    const { page, acceptLanguage } = await openLogin(context);
    assert.match(acceptLanguage ?? '', /^fr-FR\b/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    assert.equal(await page.locator('label[for="login-jid"]').textContent(), 'Adresse XMPP');
    assert.equal(await page.getByTestId('login-submit').textContent(), 'Se connecter');
    assert.equal(await wrongPassword(page), 'Adresse ou mot de passe incorrect.');

    const missing = await page.goto(`${stack.url}/no-such-page`);
    assert.equal(missing!.status(), 404);
    assert.equal(await page.locator('.error-message').textContent(), 'Il n’y a rien ici.');
  } finally {
    await context.close();
  }
});

test('the parley_locale cookie wins over the browser language: French in a German browser', async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  try {
    await context.addCookies([{ name: 'parley_locale', value: 'fr', url: stack.url, sameSite: 'Lax' }]);
    const { page, acceptLanguage } = await openLogin(context);
    assert.match(acceptLanguage ?? '', /^de-DE\b/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    assert.equal(await page.locator('label[for="login-jid"]').textContent(), 'Adresse XMPP');
    assert.equal(await wrongPassword(page), 'Adresse ou mot de passe incorrect.');
  } finally {
    await context.close();
  }
});

test('an English browser, and one whose languages Parley does not speak, get the English page as before', async () => {
  for (const locale of ['en-US', 'ja-JP']) {
    const context = await browser.newContext({ locale });
    try {
      const { page } = await openLogin(context);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', locale);
      assert.equal(await page.locator('label[for="login-jid"]').textContent(), 'XMPP address', locale);
      assert.equal(await wrongPassword(page), 'Wrong address or password.', locale);
    } finally {
      await context.close();
    }
  }
});

test("the app page's frame paints before any script runs, in the browser's language, and the app replaces it", async () => {
  const login = await browser.newContext({ locale: 'de-DE' });
  let session: Awaited<ReturnType<BrowserContext['storageState']>>;
  try {
    const page = await login.newPage();
    await page.goto(`${stack.url}/login`);
    await page.getByTestId('login-jid').fill(user.jid);
    await page.getByTestId('login-password').fill(user.password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(`${stack.url}/`);
    // With the script running, the frame gives way to the live app.
    await page.getByTestId('presence-select').waitFor();
    assert.equal(await page.getByTestId('shell-starting').count(), 0);
    session = await login.storageState();
  } finally {
    await login.close();
  }
  // Without JavaScript the HTML alone shows the account and what is happening, in German.
  const scriptless = await browser.newContext({ locale: 'de-DE', javaScriptEnabled: false, storageState: session });
  try {
    const page = await scriptless.newPage();
    await page.goto(`${stack.url}/`);
    assert.equal(await page.getByTestId('shell-account').textContent(), user.jid);
    assert.equal(await page.getByTestId('shell-starting').textContent(), 'Deine Chats werden geöffnet …');
    assert.equal(await page.getByTestId('shell-starting').isVisible(), true);
  } finally {
    await scriptless.close();
  }
});
