/**
 * Phones (390×844, touch) in real Chromium: one pane at a time with a back link, touch targets of at least 44 px, the
 * composer inside the viewport, no horizontal scrolling; a wider window shows both panes. Then hostile names: a
 * 10,000-character roster name, right-to-left overrides and script payloads as names, and a flood of 500
 * conversations: the layout holds (names ellipsised in rows of the usual height), nothing runs, and an override does
 * not flip what follows the name.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml } from '@xmpp/xml';
import type { Browser, Locator, Page } from 'playwright-core';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { launchBrowser, logInPage, saveScreenshot, watchedPage } from '../harness/browser.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';

const WAIT = { timeout: 30_000 };
const PHONE = { width: 390, height: 844 };
const MIN_TARGET = 44;

async function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await locator.boundingBox();
  assert.ok(b, 'the element is rendered');
  return b;
}

async function assertNoHorizontalScroll(page: Page, where: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  assert.ok(scrollWidth <= innerWidth, `${where}: the page scrolls sideways (scrollWidth ${scrollWidth} > innerWidth ${innerWidth})`);
}

async function assertTouchTarget(locator: Locator, what: string, minWidth = MIN_TARGET): Promise<void> {
  const b = await box(locator);
  assert.ok(b.height >= MIN_TARGET && b.width >= minWidth, `${what} is ${b.width.toFixed(1)}×${b.height.toFixed(1)} px, under ${minWidth}×${MIN_TARGET}`);
}

async function assertInViewport(page: Page, locator: Locator, what: string): Promise<void> {
  const b = await box(locator);
  const v = page.viewportSize()!;
  assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= v.width + 0.5 && b.y + b.height <= v.height + 0.5, `${what} is outside the viewport: ${JSON.stringify(b)}`);
}

describe('phone layout and hostile names (Prosody)', () => {
  let stack: TestStack;
  let browser: Browser;

  before(async () => {
    // The flood below sends 500 commands from one socket: the per-socket rate limit would (rightly) refuse it.
    stack = await TestStack.start({ env: { PARLEY_SOCKET_RATE: '10000', PARLEY_SOCKET_BURST: '100000' } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('390×844: the list, then only the conversation with a back link, 44 px targets, no sideways scroll; 1000×600 shows both', async () => {
    const alice = await stack.newUser('phonealice');
    const bob = await stack.newUser('phonebob');
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logInPage(page, stack.url, alice.jid, alice.password);
    await page.getByTestId('add-contact-jid').fill(bob.jid);
    await page.getByTestId('add-contact-submit').tap();
    const contact = page.locator(`[data-testid="contact"][data-jid="${bob.jid}"]`);
    await contact.waitFor(WAIT);

    // The list alone.
    assert.ok(await page.locator('.sidebar').isVisible(), 'the contact list shows');
    assert.equal(await page.locator('main.chat').isVisible(), false, 'the conversation pane is hidden on the list');
    await assertNoHorizontalScroll(page, 'contact list');
    await assertTouchTarget(contact, 'a contact row');
    await assertTouchTarget(page.getByTestId('add-contact-submit'), 'the add-contact button');
    await assertTouchTarget(page.getByTestId('add-contact-jid'), 'the add-contact field', 100);
    await assertTouchTarget(page.getByTestId('settings-open'), 'the settings link');
    await assertTouchTarget(page.getByTestId('logout'), 'the log-out button');
    await assertTouchTarget(page.getByTestId('presence-select'), 'the presence select', 60);
    await saveScreenshot(page, 'phone-list.png');

    // A tap opens the conversation, alone, with a back link.
    await contact.tap();
    await page.getByTestId('composer-input').waitFor(WAIT);
    assert.equal(await page.locator('.sidebar').isVisible(), false, 'the list is hidden in a conversation');
    const back = page.locator('#conversation').getByTestId('back');
    assert.ok(await back.isVisible(), 'a back link shows');
    await assertTouchTarget(back, 'the back link');
    await assertTouchTarget(page.getByTestId('security-open'), 'the Security button');
    for (const id of ['composer-input', 'composer-send', 'encryption-toggle', 'composer-file']) {
      const el = page.getByTestId(id);
      if (!(await el.isVisible())) continue;
      await assertInViewport(page, el, id);
      await assertTouchTarget(el, id);
    }
    const text = `from the phone ${randomUUID()}`;
    await page.getByTestId('composer-input').fill(text);
    await page.getByTestId('composer-send').tap();
    await page.getByTestId('message-body').filter({ hasText: text }).waitFor(WAIT);
    await assertNoHorizontalScroll(page, 'conversation');
    await saveScreenshot(page, 'phone-conversation.png');

    await back.tap();
    await page.locator('#conversation').waitFor({ state: 'detached', ...WAIT });
    assert.ok(await page.locator('.sidebar').isVisible(), 'back shows the list again');
    assert.equal(await page.evaluate(() => location.hash), '');

    // The settings: alone too, with their own back link.
    await page.getByTestId('settings-open').tap();
    await page.getByTestId('settings').waitFor(WAIT);
    assert.equal(await page.locator('.sidebar').isVisible(), false);
    await assertTouchTarget(page.getByTestId('settings').getByTestId('back'), 'the settings back link');
    await assertTouchTarget(page.getByTestId('settings-theme'), 'the theme select', 60);
    await assertNoHorizontalScroll(page, 'settings');
    await saveScreenshot(page, 'phone-settings.png');
    await page.getByTestId('settings').getByTestId('back').tap();
    await page.getByTestId('settings').waitFor({ state: 'detached', ...WAIT });

    // A wider window: both panes side by side.
    await page.setViewportSize({ width: 1000, height: 600 });
    await contact.click();
    await page.getByTestId('composer-input').waitFor(WAIT);
    assert.ok(await page.locator('.sidebar').isVisible(), '1000 px: the list shows next to the conversation');
    assert.ok(await page.locator('#conversation').isVisible());
    assert.equal(await page.locator('#conversation').getByTestId('back').isVisible(), false, 'no back link when both panes show');
    await assertNoHorizontalScroll(page, '1000×600');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('hostile names (10,000 characters, RTL overrides, payloads) and a flood of 500 conversations: the layout holds, nothing runs', async () => {
    const alice = await stack.newUser('hostalice');
    const watched = await watchedPage(browser);
    const { page } = watched;
    await page.setViewportSize(PHONE);
    await logInPage(page, stack.url, alice.jid, alice.password);
    await page.getByTestId('contact-list').waitFor({ state: 'attached', ...WAIT });

    // Names come from the roster, set by another client of the same account (as any other client could).
    const longJid = `long${randomUUID().slice(0, 6)}@localhost`;
    const rtlJid = `rtl${randomUUID().slice(0, 6)}@localhost`;
    const longName = 'W'.repeat(10_000);
    const rtlName = '\u202Eexe.txt\u202E Mallory \u202B<img src=x onerror=xss(9001)>';
    const payloads = xssPayloads().slice(0, 20);
    const payloadJids = payloads.map((_, i) => `payload${i}x${randomUUID().slice(0, 4)}@localhost`);
    const other = await XmppPeer.login(stack.server, alice.jid, alice.password);
    // One item per roster set (RFC 6121 2.3.3).
    const named: [string, string][] = [[longJid, longName], [rtlJid, rtlName], ...payloads.map((p, i) => [payloadJids[i]!, p] as [string, string])];
    for (const [jid, name] of named) {
      await other.conn.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid, name }))));
    }
    const longRow = page.locator(`[data-testid="contact"][data-jid="${longJid}"]`);
    const rtlRow = page.locator(`[data-testid="contact"][data-jid="${rtlJid}"]`);
    await longRow.waitFor(WAIT);
    await rtlRow.waitFor(WAIT);

    // Conversations: messages from this account (the server's hello lists the newest 200; the tab keeps all it saw).
    const aliceBrowser = new HttpBrowser(stack.url);
    assert.equal((await aliceBrowser.login(alice.jid, alice.password)).status, 303);
    const tab = aliceBrowser.tab();
    await tab.waitFor('hello');
    await tab.command('send', { to: rtlJid, body: `\u202Eevil preview ${payloads[3]}`, originId: randomUUID() });
    await tab.command('send', { to: longJid, body: 'X'.repeat(10_000), originId: randomUUID() });

    const FLOOD = 500;
    const floodStarted = Date.now();
    for (let i = 0; i < FLOOD; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, FLOOD - i) }, (_, j) =>
        tab.command('send', { to: `flood${i + j}x${randomUUID().slice(0, 4)}@localhost`, body: `flood message ${i + j}`, originId: randomUUID() }, 30_000)));
    }
    const sentMs = Date.now() - floodStarted;
    // The roster is virtualised: only rows near the viewport are in the DOM, each saying how long the whole list is.
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="contact-list"] > li')?.getAttribute('aria-setsize') ?? 0) >= n,
      FLOOD + 2 + payloads.length,
      { timeout: 60_000 },
    );
    console.log(`flood: ${FLOOD} conversations sent in ${sentMs} ms, all in the list after ${Date.now() - floodStarted} ms`);
    const rendered = await page.locator('[data-testid="contact"]').count();
    assert.ok(rendered < 100, `only the rows near the viewport are rendered, not all ${FLOOD}: ${rendered}`);
    // The two hostile conversations move back to the top of the list with a newer message each.
    await tab.command('send', { to: rtlJid, body: `\u202Eevil preview ${payloads[3]}`, originId: randomUUID() });
    await tab.command('send', { to: longJid, body: 'X'.repeat(10_000), originId: randomUUID() });
    await rtlRow.locator('.contact-time').waitFor(WAIT);

    // The layout: no sideways scroll, rows of the usual height, the long name cut with an ellipsis inside its row.
    await assertNoHorizontalScroll(page, 'the list with hostile names and 500 conversations');
    const usual = await box(page.locator('[data-testid="contact"][data-jid^="flood"]').first());
    for (const [row, what] of [[longRow, '10,000-character name'], [rtlRow, 'RTL override name']] as const) {
      await row.scrollIntoViewIfNeeded();
      const b = await box(row);
      assert.ok(Math.abs(b.height - usual.height) <= 1, `the row of the ${what} is ${b.height} px high, others ${usual.height}`);
      assert.ok(b.x >= 0 && b.x + b.width <= PHONE.width, `the row of the ${what} stays inside the window: ${JSON.stringify(b)}`);
    }
    const longNameEl = longRow.locator('.contact-name');
    const cut = await longNameEl.evaluate((el) => ({ overflow: getComputedStyle(el).textOverflow, clipped: el.scrollWidth > el.clientWidth, length: el.textContent!.length }));
    assert.equal(cut.overflow, 'ellipsis');
    assert.ok(cut.clipped, 'the long name is clipped');
    console.log(`the 10,000-character roster name arrives with ${cut.length} characters (the server keeps 256)`);
    const longBox = await box(longNameEl);
    const rowBox = await box(longRow);
    assert.ok(longBox.x + longBox.width <= rowBox.x + rowBox.width, 'the long name ends inside its row');

    // The override is isolated: the name is a <bdi>, the time stays at the end of its line, the preview at the start of its own.
    // (No named helper inside evaluate: tsx would wrap it in __name, which the page does not have.)
    const [name, time, line, preview, text] = await rtlRow.evaluate((row) =>
      ['.contact-name', '.contact-time', '.contact-line', '.contact-preview', '.contact-text'].map((sel) => {
        const el = row.querySelector(sel)!;
        const b = el.getBoundingClientRect();
        return { tag: el.tagName, left: b.left, right: b.right, top: b.top };
      }),
    );
    const rtl = { nameTag: name!.tag, previewTag: preview!.tag, name: name!, time: time!, line: line!, preview: preview!, text: text! };
    assert.equal(rtl.nameTag, 'BDI');
    assert.equal(rtl.previewTag, 'BDI');
    assert.ok(rtl.time.left >= rtl.name.right - 0.5, 'the time follows the name, not flipped before it');
    assert.ok(Math.abs(rtl.time.right - rtl.line.right) <= 1, 'the time stays at the end of the line');
    assert.ok(Math.abs(rtl.preview.left - rtl.text.left) <= 1, 'the preview starts its line');
    assert.ok(rtl.time.top < rtl.preview.top, 'the preview stays on its own line under the name');
    assert.equal(await rtlRow.locator('.avatar-letter').textContent(), 'E', 'the avatar letter skips the invisible override');
    await saveScreenshot(page, 'phone-hostile-list.png');

    // Both conversations open without breaking the layout.
    for (const [row, what] of [[rtlRow, 'RTL'], [longRow, 'long']] as const) {
      await row.click();
      await page.getByTestId('composer-input').waitFor(WAIT);
      await assertNoHorizontalScroll(page, `the ${what} conversation`);
      await assertInViewport(page, page.getByTestId('composer-send'), `the send button in the ${what} conversation`);
      await assertInViewport(page, page.locator('#conversation').getByTestId('back'), `the back link in the ${what} conversation`);
      await saveScreenshot(page, `phone-hostile-${what}.png`);
      await page.locator('#conversation').getByTestId('back').click();
      await page.locator('#conversation').waitFor({ state: 'detached', ...WAIT });
    }

    // Wider too: the names still do not push the panes.
    await page.setViewportSize({ width: 1000, height: 600 });
    await assertNoHorizontalScroll(page, '1000×600 with hostile names');

    assert.deepEqual(await watched.hits(), [], 'no payload ran');
    assert.deepEqual(watched.dialogs, []);
    tab.close();
    await other.stop();
    await page.context().close();
  });
});
