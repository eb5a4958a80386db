/**
 * Keyboard only, in real Chromium: log in, add two contacts (`/`), reach one with Tab and the arrow keys, open it with
 * Enter, send with Enter, the shortcuts list (`?`, Escape), Alt+↓/↑ between conversations, the Security panel (Alt+I,
 * Escape), the settings (Alt+,) with the theme changed from the keyboard, and back with Escape. No click, no fill:
 * every key goes through page.keyboard. At each step the focused element must show a visible focus indicator.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { e2eStack } from '../harness/e2e.js';
import { saveScreenshot } from '../harness/browser.js';

const WAIT = { timeout: 30_000 };

interface Focused {
  tag: string;
  testid: string | null;
  id: string;
  jid: string | null;
  /** Why the focus is visible ('' when it is not). */
  ring: string;
}

async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: 'BODY', testid: null, id: '', jid: null, ring: '' };
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 ? `outline ${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}` : '';
    const shadow = s.boxShadow !== 'none' ? `box-shadow ${s.boxShadow}` : '';
    return { tag: el.tagName, testid: el.dataset.testid ?? null, id: el.id, jid: el.dataset.jid ?? null, ring: outline || shadow };
  });
}

/** The focused element, which must show a visible focus ring. */
async function visiblyFocused(page: Page, step: string): Promise<Focused> {
  const f = await focused(page);
  assert.notEqual(f.tag, 'BODY', `${step}: focus was lost to <body>`);
  assert.notEqual(f.ring, '', `${step}: the focused ${f.tag}#${f.id} [${f.testid}] has no visible focus (outline none, no box-shadow)`);
  return f;
}

/** Unless it already does, presses Tab (or Shift+Tab) until the focused element matches; every stop along the way must show its focus. */
async function tabUntil(page: Page, wanted: (f: Focused) => boolean, step: string, back = false, max = 25): Promise<Focused> {
  const now = await focused(page);
  if (wanted(now)) return visiblyFocused(page, step);
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (f.tag !== 'BODY') assert.notEqual(f.ring, '', `${step}: Tab stop ${f.tag}#${f.id} [${f.testid}] has no visible focus`);
    if (wanted(f)) return f;
  }
  throw new Error(`${step}: not reached with ${max} presses of Tab`);
}

const hash = (page: Page) => page.evaluate(() => decodeURIComponent(location.hash));

describe('keyboard only (Prosody)', () => {
  const e2e = e2eStack();

  test('log in, add contacts, chat, shortcuts, Security panel and settings without the mouse', async () => {
    const alice = await e2e.stack.newUser('kbalice');
    const bob = await e2e.stack.newUser('kbbob');
    const carol = await e2e.stack.newUser('kbcarol');
    const page = await (await e2e.browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${e2e.stack.url}/login`);
    await tabUntil(page, (f) => f.testid === 'login-jid', 'login: the address field');
    await page.keyboard.type(alice.jid);
    await tabUntil(page, (f) => f.testid === 'login-password', 'login: the password field');
    await page.keyboard.type(alice.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${e2e.stack.url}/`, WAIT);
    await page.getByTestId('contact-list').waitFor({ state: 'attached', ...WAIT });

    // `/` jumps to the add-contact field; Enter adds.
    for (const contact of [bob, carol]) {
      // In the field, `/` is a character like any other: the second address goes into the field that kept the focus.
      if (contact === bob) await page.keyboard.press('/');
      assert.equal((await visiblyFocused(page, '/ focuses add contact')).id, 'add-contact-jid');
      await page.keyboard.type(contact.jid);
      await page.keyboard.press('Enter');
      await page.locator(`[data-testid="contact"][data-jid="${contact.jid}"]`).waitFor(WAIT);
    }

    // Tab into the list, arrows to Bob, Enter opens him; the composer takes the focus.
    let f = await tabUntil(page, (x) => x.testid === 'contact', 'Tab to the contact list');
    const order = await page.getByTestId('contact').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.jid));
    for (let i = 0; i < order.length && f.jid !== bob.jid; i++) {
      await page.keyboard.press('ArrowDown');
      f = await visiblyFocused(page, 'ArrowDown in the contact list');
    }
    assert.equal(f.jid, bob.jid, 'the arrow keys reach Bob');
    await page.keyboard.press('Enter');
    await page.getByTestId('composer-input').waitFor(WAIT);
    assert.equal(await hash(page), `#chat/${bob.jid}`);
    assert.equal((await visiblyFocused(page, 'opening a conversation')).testid, 'composer-input');

    const text = `typed on the keyboard ${randomUUID()}`;
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await page.getByTestId('message-body').filter({ hasText: text }).waitFor(WAIT);
    assert.equal(await page.getByTestId('composer-input').inputValue(), '', 'Enter sent and emptied the box');

    // `?` (outside a text field) opens the list; Escape closes it and gives the focus back.
    const before = await tabUntil(page, (x) => x.tag === 'BUTTON', 'Shift+Tab out of the composer', true);
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts-dialog').waitFor(WAIT);
    const inDialog = await visiblyFocused(page, 'the shortcuts list is open');
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="shortcuts-dialog"]')), `focus moved into the dialog (${inDialog.testid})`);
    await saveScreenshot(page, 'keyboard-shortcuts.png');
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcuts-dialog').waitFor({ state: 'hidden', ...WAIT });
    assert.equal((await visiblyFocused(page, 'after closing the shortcuts list')).testid, before.testid, 'focus went back to where it was');

    // Alt+↓ / Alt+↑ walk the conversation list, from wherever the focus is.
    const at = order.indexOf(bob.jid);
    const [first, second] = at === 0 ? ['ArrowDown', 'ArrowUp'] : ['ArrowUp', 'ArrowDown'];
    const other = order[at === 0 ? 1 : at - 1]!;
    await page.keyboard.press(`Alt+${first}`);
    await page.waitForFunction((jid) => decodeURIComponent(location.hash) === `#chat/${jid}`, other, WAIT);
    await page.locator('#conversation-title').filter({ hasText: other }).waitFor(WAIT);
    await visiblyFocused(page, `Alt+${first}`);
    await page.keyboard.press(`Alt+${second}`);
    await page.waitForFunction((jid) => decodeURIComponent(location.hash) === `#chat/${jid}`, bob.jid, WAIT);
    await page.getByTestId('message-body').filter({ hasText: text }).waitFor(WAIT);
    const composerAgain = await visiblyFocused(page, `Alt+${second}`);

    // Alt+I: the Security panel; Escape closes it, the focus comes back.
    await page.keyboard.press('Alt+i');
    await page.getByTestId('security-dialog').waitFor(WAIT);
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="security-dialog"]')), 'focus is inside the Security panel');
    await visiblyFocused(page, 'Security panel open');
    await page.keyboard.press('Escape');
    await page.getByTestId('security-dialog').waitFor({ state: 'detached', ...WAIT });
    assert.equal((await visiblyFocused(page, 'after the Security panel')).testid, composerAgain.testid);

    // Alt+, : the settings; the theme select changes with the arrow keys; Escape goes back.
    await page.keyboard.press('Alt+Comma');
    await page.getByTestId('settings').waitFor(WAIT);
    assert.equal(await hash(page), '#settings');
    await visiblyFocused(page, 'the settings page opened');
    await tabUntil(page, (x) => x.testid === 'settings-theme', 'Tab to the theme');
    assert.equal(await page.getByTestId('settings-theme').inputValue(), 'system');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light', undefined, WAIT);
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', undefined, WAIT);
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), 'rgb(18, 20, 28)', 'the dark palette is on');
    await visiblyFocused(page, 'the theme select (dark)');
    await saveScreenshot(page, 'keyboard-settings-dark.png');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => location.hash === '' || location.hash === '#', undefined, WAIT);
    await page.getByTestId('settings').waitFor({ state: 'detached', ...WAIT });
    await visiblyFocused(page, 'back from the settings');
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
