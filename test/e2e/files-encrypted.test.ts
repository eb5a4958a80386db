/**
 * Encrypted files (XEP-0454) in real Chromium against the reference OMEMO device (libsignal-client on its own XMPP
 * connection, node:crypto AES-256-GCM, uploads to Prosody's mod_http_file_share): both ways, the upload service
 * holding only ciphertext and no link in clear; pictures shown inline as thumbnails; a bad tag or a broken link
 * shows "could not decrypt this file" and nothing of the file.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { launchBrowser, logInPage, saveScreenshot } from '../harness/browser.js';
import { aesgcmLink, openFile, readLink, sealFile, uploadToShare } from '../harness/file-share.js';
import { until } from '../harness/poll.js';

describe('encrypted files with the reference OMEMO device', () => {
  let stack: TestStack;
  let browser: Browser;
  let bob: OmemoPeer;
  let page: Page;
  let bobJid: string;
  let aliceJid: string;
  const errors: string[] = [];

  before(async () => {
    // 1 MB: what /media fetches at most, so that a larger file is refused cheaply.
    stack = await TestStack.start({ server: 'prosody', env: { PARLEY_UPLOAD_LIMIT_MB: '1' } });
    browser = await launchBrowser();
    const alice = await stack.newUser('efa');
    aliceJid = alice.jid;
    const b = await stack.newUser('efb');
    bobJid = b.jid;
    bob = await OmemoPeer.start(stack.server, b.jid, b.password);
    page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await logInPage(page, stack.url, alice.jid, alice.password);
    await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: 30_000 });
    const deviceId = Number(await page.evaluate(() => document.body.dataset.omemoDevice));
    await until(async () => (await bob.devices(alice.jid)).includes(deviceId), 'the tab device is listed', 15_000);
    await page.goto(`${stack.url}/#chat/${bobJid}`);
    await page.getByTestId('encryption-toggle').and(page.locator('[aria-pressed="true"]')).waitFor({ timeout: 15_000 });
  });
  after(async () => {
    await bob?.stop();
    await browser?.close();
    await stack?.close();
  });

  const picture = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#c04020' } }).png().toBuffer();

  test('Alice → Bob: encrypted in the tab; the upload service and the stanza carry only ciphertext; Bob decrypts the exact bytes', async () => {
    const png = await picture(640, 480);
    await page.getByTestId('composer-file-input').setInputFiles({ name: 'holiday <b>1</b>.png', mimeType: 'image/png', buffer: png });
    const got = await bob.waitForDecrypted((m) => m.text?.startsWith('aesgcm://') === true, 30_000);
    const { httpUrl, iv, key } = readLink(got.text!);
    assert.equal(iv.length, 12);
    assert.equal(key.length, 32);
    assert.ok(httpUrl.startsWith(stack.server.uploadUrlPrefix), httpUrl);
    // What the upload service holds: ciphertext with the tag, not the picture.
    const stored = Buffer.from(await (await fetch(httpUrl)).arrayBuffer());
    assert.equal(stored.length, png.length + 16);
    assert.equal(stored.includes(png.subarray(0, 16)), false, 'no PNG header on the upload service');
    assert.deepEqual(openFile(stored, iv, key), png, 'Bob decrypts the exact bytes');
    // No link in clear: no OOB, and the body is the OMEMO fallback.
    const stanza = got.stanza.toString();
    assert.equal(got.stanza.getChild('x', 'jabber:x:oob'), undefined);
    assert.equal(stanza.includes(new URL(httpUrl).pathname.split('/').slice(-2).join('/')), false, 'the URL is not in the stanza in clear');
    // Parley's database has only the <encrypted> element.
    const session = stack.parley.sessions.sessions().find((s) => s.jid !== bobJid)!;
    const rows = await stack.parley.stores.messages.page(session.accountId, bobJid, { limit: 10 });
    assert.ok(rows.every((r) => !`${r.body} ${r.encrypted}`.includes('file_share')));
    // The sending tab shows its own picture, decrypted from the link it remembered.
    const mine = page.locator('[data-testid="message"][data-direction="out"]').getByTestId('message-image');
    await mine.waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('[data-testid="message"][data-direction="out"]').getByTestId('message-attachment').textContent(), 'holiday <b>1<_b>.png', 'the name as text (the upload service turned / into _)');
  });

  test('Bob → Alice: a picture he encrypted and uploaded shows inline as a thumbnail; another file as a download with its name and size; a video inline', async () => {
    const png = await picture(1200, 600);
    const sealed = sealFile(png);
    const url = await uploadToShare(bob.xmpp, stack.server.uploadDomain, 'from-bob.png', sealed.data);
    await bob.sendEncrypted(aliceJid, aesgcmLink(url, sealed.iv, sealed.key));
    const image = page.locator('[data-testid="message"][data-direction="in"]').getByTestId('message-image');
    await image.waitFor({ timeout: 20_000 });
    const dims = await image.evaluate((img: HTMLImageElement) => ({ w: img.naturalWidth, h: img.naturalHeight, src: img.src }));
    assert.deepEqual({ w: dims.w, h: dims.h }, { w: 320, h: 160 }, 'a thumbnail made in the tab');
    assert.match(dims.src, /^blob:/);

    const text = Buffer.from('a text file, 16-byte IV');
    const sealed16 = sealFile(text, 16);
    const url2 = await uploadToShare(bob.xmpp, stack.server.uploadDomain, 'notes.txt', sealed16.data);
    await bob.sendEncrypted(aliceJid, aesgcmLink(url2, sealed16.iv, sealed16.key));
    const link = page.locator('[data-testid="message"][data-direction="in"]').getByTestId('message-attachment').filter({ hasText: 'notes.txt' });
    await link.waitFor({ timeout: 20_000 });
    const href = await link.getAttribute('href');
    assert.match(href!, /^blob:/);
    // The size is the decrypted file's (the page's CSP lets nothing read the blob back here: connect-src 'self').
    const size = await link.locator('xpath=..').locator('.message-attachment-size').textContent();
    assert.equal(size?.trim(), `${text.length} B`);
    assert.equal(await link.getAttribute('download'), 'notes.txt');

    // A video plays inline from its decrypted object URL, within the CSP (media-src blob:).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __csp: string[] }).__csp = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const clip = sealFile(randomBytes(4096));
    const clipUrl = await uploadToShare(bob.xmpp, stack.server.uploadDomain, 'clip.webm', clip.data);
    await bob.sendEncrypted(aliceJid, aesgcmLink(clipUrl, clip.iv, clip.key));
    const video = page.locator('[data-testid="message"][data-direction="in"]').getByTestId('message-video');
    await video.waitFor({ timeout: 20_000 });
    assert.match((await video.getAttribute('src'))!, /^blob:/);
    await until(async () => (await video.evaluate((v: HTMLVideoElement) => v.networkState !== HTMLMediaElement.NETWORK_EMPTY)), 'the video element loaded its source');
    const violations = await page.evaluate(() => new Promise<string[]>((r) => setTimeout(() => r((window as unknown as { __csp: string[] }).__csp), 0)));
    assert.deepEqual(violations, []);
    await saveScreenshot(page, 'e2e-files-encrypted.png');
  });

  test('a wrong tag, a wrong key length, non-hex and a file over the limit: "Could not decrypt this file" and nothing of the file', async () => {
    const png = await picture(50, 50);
    const sealed = sealFile(png);
    const tampered = Buffer.from(sealed.data);
    tampered[tampered.length - 1]! ^= 0x01;
    const url = await uploadToShare(bob.xmpp, stack.server.uploadDomain, 'tampered.png', tampered);
    const alice = aliceJid;
    await bob.sendEncrypted(alice, aesgcmLink(url, sealed.iv, sealed.key));
    await bob.sendEncrypted(alice, `${aesgcmLink(url, sealed.iv, sealed.key).slice(0, -2)}`); // 86 hex characters
    await bob.sendEncrypted(alice, `${aesgcmLink(url, sealed.iv, sealed.key).slice(0, -1)}z`);
    // Over the size limit: refused before anything is decrypted.
    const huge = sealFile(randomBytes(1024 * 1024 + 1));
    const hugeUrl = await uploadToShare(bob.xmpp, stack.server.uploadDomain, 'huge.bin', huge.data);
    await bob.sendEncrypted(alice, aesgcmLink(hugeUrl, huge.iv, huge.key));
    const failed = page.locator('[data-testid="message"][data-direction="in"] [data-file-status="failed"]');
    await until(async () => (await failed.count()) === 4, 'four undecryptable files', 20_000);
    const texts = await failed.allTextContents();
    assert.deepEqual(texts.slice(0, 3), Array(3).fill('Could not decrypt this file.'));
    assert.match(texts[3]!, /^Could not decrypt this file: it is larger than/);
    assert.equal(await page.locator('[data-testid="message"][data-direction="in"]').getByTestId('message-image').count(), 1, 'only the earlier good picture');
    assert.deepEqual(errors, []);
  });
});
