/**
 * OMEMO in real Chromium: a Parley tab is its own OMEMO device and talks to an independent implementation
 * (Signal's libsignal-client 0.23.1 on its own XMPP connection). The server only ever sees ciphertext.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { launchBrowser, saveScreenshot, logInPage } from '../harness/browser.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let browser: Browser;
  let bob: OmemoPeer | null = null;
  let alicePhone: OmemoPeer | null = null;

  before(async () => {
    stack = await TestStack.start({ server: kind });
    browser = await launchBrowser();
  });
  after(async () => {
    await bob?.stop();
    await alicePhone?.stop();
    await browser?.close();
    await stack?.close();
  });

  test('a Chromium tab and a libsignal-client device exchange OMEMO messages both ways; the server stores no plaintext', async () => {
    const alice = await stack.newUser('omemo-a');
    const bobUser = await stack.newUser('omemo-b');
    bob = await OmemoPeer.start(stack.server, bobUser.jid, bobUser.password);

    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logInPage(page, stack.url, alice.jid, alice.password);
    // The tab's device is up once it has announced itself (its id lands on <body>).
    await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: 20_000 });
    const deviceId = Number(await page.evaluate(() => document.body.dataset.omemoDevice));
    const listed = async () => (await bob!.devices(alice.jid)).includes(deviceId);
    const deadline = Date.now() + 10_000;
    while (!(await listed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok(await listed(), 'the tab device is in the account device list, readable by a non-contact');

    // Bob -> Alice: first message (PreKeySignalMessage) and a follow-up.
    const first = `hello from libsignal ${randomUUID()}`;
    await bob.sendEncrypted(alice.jid, first);
    await page.goto(`${stack.url}/#chat/${bobUser.jid}`);
    await page.getByTestId('message-body').filter({ hasText: first }).waitFor({ timeout: 20_000 });
    const second = `and a follow-up ${randomUUID()}`;
    await bob.sendEncrypted(alice.jid, second);
    await page.getByTestId('message-body').filter({ hasText: second }).waitFor({ timeout: 20_000 });

    // Alice -> Bob: encryption is on by default because Bob has devices.
    await page.getByTestId('encryption-toggle').and(page.locator('[aria-pressed="true"]')).waitFor({ timeout: 10_000 });
    const reply = `reply from the browser ${randomUUID()}`;
    await page.getByTestId('composer-input').fill(reply);
    await page.getByTestId('composer-input').press('Enter');
    const got = await bob.waitForDecrypted((m) => m.text === reply, 20_000);
    assert.equal(got.senderDeviceId, deviceId);
    // The sending tab shows its own text (remembered at send time; OMEMO does not encrypt to the sending device).
    await page.getByTestId('message-body').filter({ hasText: reply }).waitFor({ timeout: 10_000 });

    const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
    const stored = await stack.parley.stores.messages.page(session.accountId, bobUser.jid, { limit: 10 });
    assert.equal(stored.length, 3);
    for (const row of stored) {
      assert.ok(row.encrypted?.includes('eu.siacs.conversations.axolotl'));
      for (const plain of [first, second, reply]) assert.equal(`${row.body} ${row.encrypted}`.includes(plain), false, 'no plaintext on the server');
    }

    // A reload keeps the tab's device and shows the history decrypted from this browser's store.
    await page.reload();
    await page.getByTestId('message-body').filter({ hasText: first }).waitFor({ timeout: 20_000 });
    await page.getByTestId('message-body').filter({ hasText: reply }).waitFor({ timeout: 20_000 });
    assert.equal(Number(await page.evaluate(() => document.body.dataset.omemoDevice)), deviceId);

    // A message Bob encrypted only for another client of Alice's (her phone) says so, in words, instead of failing.
    alicePhone = await OmemoPeer.start(stack.server, alice.jid, alice.password);
    await bob.sendEncrypted(alice.jid, 'not for you', { deviceIds: [alicePhone.deviceId] });
    await page.locator('[data-testid="message"][data-encryption="not-for-this-device"]').waitFor({ timeout: 20_000 });
    await saveScreenshot(page, `${kind}-e2e-omemo.png`);
    assert.deepEqual(errors, []);
  });
});
