/**
 * Real Chromium: set our own avatar from the settings' file input (a wide PNG, cropped and scaled in the browser),
 * and see the picture, served by Parley itself, in another tab of the account; no CSP violation on the way.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { xml } from '@xmpp/xml';
import type { Browser, BrowserContext } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { launchBrowser, logInPage, saveScreenshot } from '../harness/browser.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { buildPublish } from '../../server/stanza/pubsub.js';
import { buildDataPayload, buildMetadataPayload, NS_AVATAR_DATA, NS_AVATAR_METADATA } from '../../server/stanza/avatar.js';

let stack: TestStack;
let browser: Browser;
let context: BrowserContext;
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'parley-e2e-avatars-'));
  stack = await TestStack.start({ env: { PARLEY_DATA_DIR: dataDir } });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
});
after(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('own avatar set through the file input shows as <img> in another tab, and removed again', async () => {
  const alice = await stack.newUser('e2eavatar');
  const tab1 = await context.newPage();
  const problems: string[] = [];
  for (const page of [tab1]) {
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  }
  await logInPage(tab1, stack.url, alice.jid, alice.password);
  const tab2 = await context.newPage();
  tab2.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await tab2.goto(`${stack.url}/`);
  const me2 = tab2.locator('header.me .avatar');
  await me2.waitFor();
  assert.equal(await tab2.locator('header.me .avatar img').count(), 0, 'a letter before');

  await tab1.goto(`${stack.url}/#settings`);
  const wide = await sharp({ create: { width: 640, height: 320, channels: 3, background: '#e0457b' } }).png().toBuffer();
  await tab1.getByTestId('avatar-file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: wide });
  await tab1.getByTestId('avatar-note').filter({ hasText: 'Picture saved.' }).waitFor({ timeout: 15_000 }).catch(async (err) => {
    await saveScreenshot(tab1, 'avatars-settings');
    throw new Error(`${String(err)}; note: ${await tab1.getByTestId('avatar-note').textContent()}`);
  });

  const img = tab2.locator('header.me .avatar img');
  await img.waitFor({ timeout: 10_000 });
  const src = await img.getAttribute('src');
  assert.match(src ?? '', /^\/avatars\/[0-9a-f]{40}$/);
  await tab2.waitForFunction(() => {
    const el = document.querySelector<HTMLImageElement>('header.me .avatar img');
    return !!el && el.complete && el.naturalWidth > 0;
  });
  const natural = await img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight]);
  assert.deepEqual(natural, [192, 192], 'cropped to a square and scaled in the browser');

  // Removed in one tab: the other shows the letter again.
  await tab1.getByTestId('avatar-remove').click();
  await tab1.getByTestId('avatar-note').filter({ hasText: 'Picture removed.' }).waitFor({ timeout: 15_000 });
  await tab2.locator('header.me .avatar img').waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await tab1.getByTestId('avatar-remove').count(), 0, 'nothing to remove any more');
  assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused/.test(p)), []);
});

test("a contact's XEP-0084 avatar shows in its roster row, served by Parley itself", async () => {
  const alice = await stack.newUser('e2eavatarrow');
  const dave = await stack.newUser('e2eavatardave');
  // A context of its own: the shared one is logged in as the first test's account.
  const own = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await own.newPage();
  await logInPage(page, stack.url, alice.jid, alice.password);
  const daveClient = await XmppPeer.login(stack.server, dave.jid, dave.password);
  try {
    // Mutual: Prosody only notifies those the publisher sees (and whose +notify it learnt from their presence).
    await page.getByTestId('add-contact-jid').fill(dave.jid);
    await page.getByTestId('add-contact-submit').click();
    const row = page.locator(`[data-testid="contact"][data-jid="${dave.jid}"]`);
    await row.waitFor();
    await daveClient.sendRaw(xml('presence', { to: alice.jid, type: 'subscribed' }));
    await daveClient.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await page.waitForFunction((j) => !document.querySelector(`[data-testid="subscription-request"][data-jid="${j}"]`), dave.jid);
    assert.equal(await row.locator('.avatar img').count(), 0, 'a letter before');

    const picture = await sharp({ create: { width: 96, height: 96, channels: 3, background: '#2a9d8f' } }).png().toBuffer();
    const id = createHash('sha1').update(picture).digest('hex');
    const open = { 'pubsub#access_model': 'open' };
    await daveClient.conn.iq(buildPublish(NS_AVATAR_DATA, id, buildDataPayload(picture), open));
    await daveClient.conn.iq(buildPublish(NS_AVATAR_METADATA, id, buildMetadataPayload({ id, bytes: picture.length, type: 'image/png', width: 96, height: 96 }), open));

    const img = row.locator('.avatar img');
    await img.waitFor({ timeout: 15_000 });
    assert.equal(await img.getAttribute('src'), `/avatars/${id}`);
    await page.waitForFunction((j) => {
      const el = document.querySelector<HTMLImageElement>(`[data-testid="contact"][data-jid="${j}"] .avatar img`);
      return !!el && el.complete && el.naturalWidth > 0;
    }, dave.jid);
  } finally {
    await daveClient.stop();
    await own.close();
  }
});
