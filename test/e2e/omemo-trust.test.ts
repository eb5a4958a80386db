/**
 * OMEMO trust in real Chromium, against an independent device (libsignal-client 0.23.1): the Security panel shows
 * the contact's fingerprint as their device computes it, a wrong code verifies nothing, a picture of their QR code
 * verifies them, a compromised device is neither decrypted nor encrypted to, this tab's own QR code decodes to its
 * fingerprint, and another tab's device can be revoked from the account's device list.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { PNG } from 'pngjs';
import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { launchBrowser, saveScreenshot, logInPage } from '../harness/browser.js';
import { fingerprint, formatFingerprint } from '../../client/omemo/fingerprint.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let browser: Browser;
  let bob: OmemoPeer | null = null;

  before(async () => {
    stack = await TestStack.start({ server: kind });
    browser = await launchBrowser();
  });
  after(async () => {
    await bob?.stop();
    await browser?.close();
    await stack?.close();
  });

  async function deviceOf(page: Page): Promise<number> {
    await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: 20_000 });
    return Number(await page.evaluate(() => document.body.dataset.omemoDevice));
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  test('fingerprints, QR verification, compromised devices and revoking a tab, in the Security panel', async () => {
    const alice = await stack.newUser('trust-a');
    const bobUser = await stack.newUser('trust-b');
    bob = await OmemoPeer.start(stack.server, bobUser.jid, bobUser.password);
    const bobFingerprint = fingerprint(bob.device.identityKey);

    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
    await logInPage(page, stack.url, alice.jid, alice.password);
    const tabDevice = await deviceOf(page);
    await until('the tab is in the account device list', async () => (await bob!.devices(alice.jid)).includes(tabDevice));

    // A message from a device nobody verified: decrypted, and marked as coming from an unverified device.
    const first = `first ${randomUUID()}`;
    await bob.sendEncrypted(alice.jid, first);
    await page.goto(`${stack.url}/#chat/${bobUser.jid}`);
    const firstItem = page.getByTestId('message').filter({ hasText: first });
    await firstItem.waitFor({ timeout: 20_000 });
    assert.equal(await firstItem.getAttribute('data-trust'), 'unverified');
    assert.equal(await firstItem.getByTestId('message-trust').textContent(), 'unverified device');

    // The panel shows Bob's device with the fingerprint his own library computes.
    await page.getByTestId('security-open').click();
    const bobDevice = page.getByTestId('security-contact').locator(`[data-testid="security-device"][data-device-id="${bob.deviceId}"]`);
    await bobDevice.waitFor({ timeout: 10_000 });
    assert.equal(await bobDevice.getByTestId('security-fingerprint').textContent(), formatFingerprint(bobFingerprint));
    assert.equal(await bobDevice.getAttribute('data-trust'), 'unverified');

    // A code whose fingerprint differs (someone in between) verifies nothing and says so.
    const forged = bobFingerprint.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    await page.getByTestId('security-code-input').fill(`xmpp:${bobUser.jid}?omemo-sid-${bob.deviceId}=${forged}`);
    await page.getByTestId('security-code-verify').click();
    await page.getByTestId('security-verify-result').filter({ hasText: 'does NOT match' }).waitFor({ timeout: 10_000 });
    assert.equal(await bobDevice.getAttribute('data-trust'), 'unverified');

    // A picture of Bob's QR code (as Conversations shows it) verifies his device.
    const qrPng = await QRCode.toBuffer(`xmpp:${bobUser.jid}?omemo-sid-${bob.deviceId}=${bobFingerprint}`, { width: 300 });
    await page.getByTestId('security-qr-file').setInputFiles({ name: 'bob-qr.png', mimeType: 'image/png', buffer: qrPng });
    await page.getByTestId('security-verify-result').filter({ hasText: `Verified: device ${bob.deviceId}` }).waitFor({ timeout: 10_000 });
    await page.locator(`[data-testid="security-contact"] [data-device-id="${bob.deviceId}"][data-trust="verified"]`).waitFor({ timeout: 10_000 });

    // This tab's QR code decodes to its own device and fingerprint.
    const ownFingerprint = (await page.getByTestId('security-own-fingerprint').textContent())!.replaceAll(' ', '');
    const src = (await page.getByTestId('security-own-qr').getAttribute('src'))!;
    const png = PNG.sync.read(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64'));
    const decoded = jsQR.default(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.equal(decoded?.data, `xmpp:${alice.jid}?omemo-sid-${tabDevice}=${ownFingerprint}`);
    assert.equal(await page.getByTestId('security-own-uri').textContent(), decoded?.data);
    await saveScreenshot(page, `${kind}-e2e-omemo-trust.png`);

    // Verified shows on new messages; then compromised: Bob's messages are refused, and nothing is encrypted to him.
    const second = `verified now ${randomUUID()}`;
    await bob.sendEncrypted(alice.jid, second);
    await page.getByTestId('security-close').click();
    const secondItem = page.getByTestId('message').filter({ hasText: second });
    await secondItem.waitFor({ timeout: 20_000 });
    assert.equal(await secondItem.getAttribute('data-trust'), 'verified');

    await page.getByTestId('security-open').click();
    await bobDevice.getByTestId('security-set-compromised').click();
    await page.locator(`[data-testid="security-contact"] [data-device-id="${bob.deviceId}"][data-trust="compromised"]`).waitFor({ timeout: 10_000 });
    await page.getByTestId('security-close').click();
    await bob.sendEncrypted(alice.jid, 'from a compromised device');
    await page.locator('[data-testid="message"][data-encryption="untrusted"]').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('message-body').filter({ hasText: 'from a compromised device' }).count(), 0);
    await page.getByTestId('composer-input').fill('should not leave');
    await page.getByTestId('composer-input').press('Enter');
    await page.locator('#composer-error').filter({ hasText: /Could not encrypt to any device/ }).waitFor({ timeout: 10_000 });

    // A second tab is a second device; the first tab revokes it and it leaves the account's list for good.
    const page2 = await context.newPage();
    page2.on('pageerror', (e) => errors.push(e.message));
    await page2.goto(`${stack.url}/`);
    const secondDevice = await deviceOf(page2);
    assert.notEqual(secondDevice, tabDevice);
    await until('the second tab is listed', async () => (await bob!.devices(alice.jid)).includes(secondDevice));
    await page.getByTestId('security-open').click();
    const other = page.getByTestId('security-own').locator(`[data-testid="security-device"][data-device-id="${secondDevice}"]`);
    await other.waitFor({ timeout: 10_000 });
    assert.match((await other.textContent())!, /another tab of this browser/);
    await other.getByTestId('security-revoke').click();
    const outcome = page.getByTestId('security-verify-result');
    await until('the revocation has an outcome', async () => ((await outcome.textContent()) ?? '') !== '', 20_000);
    assert.equal(await outcome.textContent(), `Device ${secondDevice} is revoked.`);
    await until('the revoked device left the list', async () => !(await bob!.devices(alice.jid)).includes(secondDevice));
    // The panel follows the account's device list when its PEP notification reaches this tab (after Bob may have seen it).
    await until('the revoked device left the Security panel', async () => (await other.count()) === 0);
    assert.ok((await bob.devices(alice.jid)).includes(tabDevice));
    assert.deepEqual(errors, []);
  });
});

if (testServers().includes('ejabberd')) {
  describe('ejabberd 23.01 forcing presence access on OMEMO nodes', () => {
    let stack: TestStack;
    let browser: Browser;
    before(async () => {
      stack = await TestStack.start({ server: 'ejabberd', prosody: { forceOmemoAccessModel: 'presence' } });
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await stack?.close();
    });

    test('the tab still gets its device, and the Security panel says why contacts outside the roster cannot encrypt', async () => {
      const alice = await stack.newUser('closed-a');
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await logInPage(page, stack.url, alice.jid, alice.password);
      await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: 20_000 });
      await page.goto(`${stack.url}/#chat/someone@${stack.server.domain}`);
      await page.getByTestId('security-open').click();
      const notice = page.getByTestId('security-publication');
      await notice.waitFor({ timeout: 10_000 });
      assert.match((await notice.textContent()) ?? '', /^Your server does not let this device's keys be public: contacts who are not in your roster cannot start encrypted chats \(.+\)$/);
      await saveScreenshot(page, 'ejabberd-closed-security-panel.png');
      assert.deepEqual(errors, []);
    });
  });
}
