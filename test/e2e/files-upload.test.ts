/**
 * Uploads in real Chromium: a progress bar per upload and cancel (nothing sent), several at once, drag and drop onto
 * the conversation and paste from the clipboard (synthetic DragEvent / ClipboardEvent carrying a DataTransfer);
 * a contact's plain picture shown inline through /media as a thumbnail, and a decompression bomb refused unseen.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { xml, type Element } from '@xmpp/xml';
import type { Page } from 'playwright-core';
import { e2eStack } from '../harness/e2e.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { logInPage } from '../harness/browser.js';
import { uploadToShare } from '../harness/file-share.js';
import { until } from '../harness/poll.js';

describe('uploads in the tab', () => {
  const e2e = e2eStack();
  let bob: XmppPeer;
  let bobJid: string;
  let aliceJid: string;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const alice = await e2e.stack.newUser('fua');
    aliceJid = alice.jid;
    const b = await e2e.stack.newUser('fub');
    bobJid = b.jid;
    bob = await XmppPeer.login(e2e.stack.server, b.jid, b.password);
    page = await (await e2e.browser.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await logInPage(page, e2e.stack.url, alice.jid, alice.password);
    await page.goto(`${e2e.stack.url}/#chat/${bobJid}`);
    await page.getByTestId('composer-file').waitFor();
  });
  after(async () => {
    await bob?.stop();
  });

  const oobUrl = (el: Element) => el.getChild('x', 'jabber:x:oob')?.getChildText('url') ?? null;
  const oobNamed = (name: string) => (el: Element) => oobUrl(el)?.endsWith(`/${encodeURIComponent(name)}`) === true;

  test('progress bar per upload, two at once; cancel aborts one and sends nothing of it; the other arrives', async () => {
    // Slow the tab's uploads down so that they can be watched (Chromium's own network throttling).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
    const one = randomBytes(3 * 1024 * 1024);
    const two = randomBytes(1024 * 1024);
    await page.getByTestId('composer-file-input').setInputFiles([
      { name: 'cancel-me.bin', mimeType: 'application/octet-stream', buffer: one },
      { name: 'keep-me.bin', mimeType: 'application/octet-stream', buffer: two },
    ]);
    const rows = page.getByTestId('upload');
    await until(async () => (await rows.count()) === 2, 'two uploads listed');
    const first = rows.filter({ hasText: 'cancel-me.bin' });
    // Progress: some bytes sent, not all, and the bar shows them.
    const progress = await until(async () => {
      const sent = Number(await first.getAttribute('data-sent'));
      const total = Number(await first.getAttribute('data-total'));
      return sent > 0 && sent < total ? { sent, total } : null;
    }, 'part of the first file sent', 20_000);
    assert.ok(progress.total >= one.length, `total ${progress.total}`);
    const bar = await first.getByTestId('upload-bar').evaluate((p: HTMLProgressElement) => ({ value: p.value, max: p.max }));
    assert.ok(bar.value > 0 && bar.value < bar.max, JSON.stringify(bar));

    await first.getByTestId('upload-cancel').click();
    await until(async () => (await rows.filter({ hasText: 'cancel-me.bin' }).count()) === 0, 'the cancelled upload is gone');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const kept = await bob.waitForMessage(oobNamed('keep-me.bin'), 30_000);
    assert.deepEqual(Buffer.from(await (await fetch(oobUrl(kept)!)).arrayBuffer()), two);
    await until(async () => (await rows.count()) === 0, 'no upload left');
    await page.getByTestId('message-attachment').filter({ hasText: 'keep-me.bin' }).waitFor();
    // The cancelled one: neither at Bob's nor in Alice's history.
    await page.waitForTimeout(500);
    assert.equal(bob.messages.filter(oobNamed('cancel-me.bin')).length, 0);
    assert.equal(await page.getByTestId('message-attachment').filter({ hasText: 'cancel-me.bin' }).count(), 0);
    await cdp.detach();
  });

  test('a file dropped onto the conversation and one pasted into the composer are sent', async () => {
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }));
      const area = document.querySelector('.conversation')!;
      const init = { dataTransfer: dt, bubbles: true, cancelable: true };
      area.dispatchEvent(new DragEvent('dragenter', init));
      area.dispatchEvent(new DragEvent('dragover', init));
      area.dispatchEvent(new DragEvent('drop', init));
    });
    const dropped = await bob.waitForMessage(oobNamed('dropped.txt'), 20_000);
    assert.equal(await (await fetch(oobUrl(dropped)!)).text(), 'dropped bytes');

    const cancelled = await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'pasted.png', { type: 'image/png' }));
      const box = document.querySelector('[data-testid="composer-input"]')!;
      return !box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    });
    assert.equal(cancelled, true, 'the paste of a file is taken, not inserted as text');
    const pasted = await bob.waitForMessage(oobNamed('pasted.png'), 20_000);
    assert.deepEqual([...Buffer.from(await (await fetch(oobUrl(pasted)!)).arrayBuffer())], [0x89, 0x50, 0x4e, 0x47]);
    // A text paste stays text.
    await page.getByTestId('composer-input').fill('');
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.setData('text/plain', 'just words');
      document.querySelector('[data-testid="composer-input"]')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    });
    assert.equal(await page.getByTestId('upload').count(), 0);
  });

  test("a contact's plain picture shows inline as a thumbnail via /media; a name with HTML is text; a bomb header is refused", async () => {
    const png = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#2060c0' } }).png().toBuffer();
    const name = '<img src=x onerror=alert(1)>.png';
    const url = await uploadToShare(bob, e2e.stack.server.uploadDomain, name, png, 'image/png');
    await bob.sendChat(aliceJid, url, { extra: [xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url))] });
    const bubble = page.locator('[data-testid="message"][data-direction="in"]').filter({ has: page.getByTestId('message-image') });
    await bubble.waitFor({ timeout: 20_000 });
    const img = await bubble.getByTestId('message-image').evaluate((i: HTMLImageElement) => ({ w: i.naturalWidth, h: i.naturalHeight, src: i.src }));
    assert.deepEqual({ w: img.w, h: img.h }, { w: 320, h: 160 });
    assert.match(img.src, /^blob:/);
    assert.equal(await bubble.getByTestId('message-attachment').textContent(), name);
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'the name is not markup');

    // 100,000 x 100,000 pixels declared in 33 bytes: never decoded.
    const bomb = Buffer.alloc(33);
    Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(bomb, 0);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    const bombUrl = await uploadToShare(bob, e2e.stack.server.uploadDomain, 'bomb.png', bomb, 'image/png');
    await bob.sendChat(aliceJid, bombUrl, { extra: [xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, bombUrl))] });
    const refused = page.getByTestId('message-file-refused');
    await refused.waitFor({ timeout: 20_000 });
    assert.match((await refused.textContent())!, /too large to show \(100,000 × 100,000 pixels\)/);
    assert.equal(await page.getByTestId('message-image').count(), 1);
    assert.deepEqual(errors, []);
  });
});
