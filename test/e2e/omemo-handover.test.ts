/**
 * The history handover in real Chromium: two browsers (contexts) of one account and Signal's libsignal-client 0.23.1
 * as the contact. The old browser reads both directions of the conversation; the new one shows a placeholder in plain
 * words, the old one is offered to hand over (with the new device's fingerprint), the new one accepts (with both
 * fingerprints) and then shows the earlier messages in order. History from a device the new browser does not trust is
 * refused. Neither the database nor Parley's log ever holds a plaintext.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { HttpBrowser, TestStack } from '../harness/parley.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { launchBrowser, saveScreenshot, logInPage } from '../harness/browser.js';
import { fingerprint, formatFingerprint } from '../../client/omemo/fingerprint.js';

let stack: TestStack;
let browser: Browser;
const peers: OmemoPeer[] = [];
/** Everything Parley logs, at its most verbose level and unredacted. */
const logged: string[] = [];

before(async () => {
  stack = await TestStack.start({ log: pino({ level: 'trace' }, { write: (line: string) => void logged.push(line) }) });
  browser = await launchBrowser();
});
after(async () => {
  for (const p of peers) await p.stop();
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

/** The message bodies of the open conversation, top to bottom. */
const bodies = (page: Page) => page.getByTestId('message-body').allTextContents();

test('a new browser of the account gets the earlier encrypted history from the old one, end to end; untrusted history is refused', async () => {
  const alice = await stack.newUser('handover-a');
  const bobUser = await stack.newUser('handover-b');
  const bob = await OmemoPeer.start(stack.prosody, bobUser.jid, bobUser.password);
  peers.push(bob);
  const errors: string[] = [];
  const watch = (page: Page) => page.on('pageerror', (e) => errors.push(e.message));

  // Browser A: Alice and Bob write to each other, both ways.
  const contextA = await browser.newContext();
  const pageA = await contextA.newPage();
  watch(pageA);
  await logInPage(pageA, stack.url, alice.jid, alice.password);
  const deviceA = await deviceOf(pageA);
  // A second tab of browser A: the offer shows in one tab of the browser, not in each.
  const pageA2 = await contextA.newPage();
  watch(pageA2);
  await pageA2.goto(`${stack.url}/`);
  await deviceOf(pageA2);
  await until('A is in the device list', async () => (await bob.devices(alice.jid)).includes(deviceA));
  const run = randomUUID().slice(0, 8);
  const texts = [`bob one ${run}`, `alice one ${run}`, `bob two ${run}`, `alice two ${run}`];
  await bob.sendEncrypted(alice.jid, texts[0]!);
  await pageA.goto(`${stack.url}/#chat/${bobUser.jid}`);
  await pageA.getByTestId('message-body').filter({ hasText: texts[0]! }).waitFor({ timeout: 20_000 });
  await pageA.getByTestId('encryption-toggle').and(pageA.locator('[aria-pressed="true"]')).waitFor({ timeout: 10_000 });
  const sendFromA = async (text: string) => {
    await pageA.getByTestId('composer-input').fill(text);
    await pageA.getByTestId('composer-input').press('Enter');
    await bob.waitForDecrypted((m) => m.text === text, 20_000);
  };
  await sendFromA(texts[1]!);
  await bob.sendEncrypted(alice.jid, texts[2]!);
  await pageA.getByTestId('message-body').filter({ hasText: texts[2]! }).waitFor({ timeout: 20_000 });
  await sendFromA(texts[3]!);
  await until('A shows the four messages in order', async () => JSON.stringify(await bodies(pageA)) === JSON.stringify(texts));

  // Browser B logs in: its tab is a new device, never encrypted to. The placeholder says what will help.
  const contextB = await browser.newContext();
  const pageB = await contextB.newPage();
  watch(pageB);
  await logInPage(pageB, stack.url, alice.jid, alice.password);
  const deviceB = await deviceOf(pageB);
  assert.notEqual(deviceB, deviceA);
  await pageB.goto(`${stack.url}/#chat/${bobUser.jid}`);
  const placeholders = pageB.locator('[data-testid="message"][data-encryption="not-for-this-device"]');
  await until('B shows four placeholders', async () => (await placeholders.count()) === 4, 20_000);
  for (const text of await placeholders.getByTestId('message-body').allTextContents()) {
    assert.equal(text, 'Encrypted before this browser was set up. Open Parley in a browser where you already read this conversation and accept the history handover there.');
  }

  // A second tab of B, open while the history arrives.
  const pageB2 = await contextB.newPage();
  watch(pageB2);
  await pageB2.goto(`${stack.url}/#chat/${bobUser.jid}`);
  await until('B2 shows four placeholders', async () => (await pageB2.locator('[data-testid="message"][data-encryption="not-for-this-device"]').count()) === 4, 20_000);
  assert.equal(await pageB2.locator('dialog[data-testid="handover-dialog"][open]').count(), 0);

  // A is offered the handover, showing B's key as B's own library published it.
  const fingerprintOf = async (deviceId: number) => formatFingerprint(fingerprint((await bob.bundle(alice.jid, deviceId))!.identityKey));
  const fpB = await fingerprintOf(deviceB);
  const offered = (page: Page) => page.locator('dialog[data-testid="handover-dialog"][open]').getByTestId('handover-new-fingerprint');
  await until('one tab of A offers the handover', async () => (await offered(pageA).count()) + (await offered(pageA2).count()) > 0, 20_000);
  const [offerPage, otherTabA] = (await offered(pageA).count()) > 0 ? [pageA, pageA2] : [pageA2, pageA];
  const offer = offerPage.getByTestId('handover-dialog');
  assert.equal(await offer.getByTestId('handover-new-fingerprint').textContent(), fpB);
  // The offering tab's own device (either tab of A) is the one B must show as the sender.
  const offeringDevice = await deviceOf(offerPage);
  const fpSender = await fingerprintOf(offeringDevice);
  assert.equal(await offer.getByTestId('handover-own-fingerprint').textContent(), fpSender);
  await offer.locator(`[data-testid="handover-conversation"][value="${bobUser.jid}"]`).check();
  await saveScreenshot(offerPage, 'e2e-omemo-handover-old-browser.png');
  await offer.getByTestId('handover-send').click();

  // B sees its own fingerprint and A's, and accepts.
  const incoming = pageB.getByTestId('handover-dialog');
  await incoming.getByTestId('handover-accept').waitFor({ timeout: 20_000 });
  assert.equal(await incoming.getByTestId('handover-own-fingerprint').textContent(), fpB);
  assert.equal(await incoming.getByTestId('handover-sender-fingerprint').textContent(), fpSender);
  await saveScreenshot(pageB, 'e2e-omemo-handover-offer.png');
  await incoming.getByTestId('handover-accept').click();
  await incoming.getByTestId('handover-status').filter({ hasText: 'History handed over: 4 messages are readable now.' }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await incoming.getByTestId('handover-errors').locator('li').allTextContents(), []);
  await until('B shows the earlier messages, both directions, in order', async () => JSON.stringify(await bodies(pageB)) === JSON.stringify(texts), 20_000);
  assert.equal(await pageB.getByTestId('message-handed-over').count(), 4, 'each handed-over message says where it came from');
  await offer.getByTestId('handover-status').filter({ hasText: 'Done: the new browser stored 4 of 4 messages.' }).waitFor({ timeout: 20_000 });
  await saveScreenshot(pageB, 'e2e-omemo-handover-done.png');
  assert.equal(await offered(otherTabA).count(), 0, 'the other tab of A did not offer too');

  // Every tab of browser B reads them, though each tab is a device of its own: the open one is refilled in place,
  // a new one reads this browser's IndexedDB.
  await until('the other open tab of B shows them too', async () => JSON.stringify(await bodies(pageB2)) === JSON.stringify(texts), 20_000);
  const pageB3 = await contextB.newPage();
  watch(pageB3);
  await pageB3.goto(`${stack.url}/#chat/${bobUser.jid}`);
  await until('a new tab of B shows them too', async () => JSON.stringify(await bodies(pageB3)) === JSON.stringify(texts), 20_000);
  await pageB3.close();

  // A device of the account that B never accepted (libsignal, on its own connection) sends history: refused.
  const phone = await OmemoPeer.start(stack.prosody, alice.jid, alice.password);
  peers.push(phone);
  const raw = new HttpBrowser(stack.url);
  assert.equal((await raw.login(alice.jid, alice.password)).status, 303);
  const tab = raw.tab();
  await tab.waitFor('hello');
  await tab.command('omemoAnnounce', { deviceId: phone.deviceId, bundle: null });
  const firstId = (await pageB.getByTestId('message').first().getAttribute('data-id'))!;
  const forge = async (message: object) => {
    const bundle = (await phone.bundle(alice.jid, deviceB))!;
    const encrypted = await phone.device.encrypt(JSON.stringify({ v: 1, handover: randomUUID(), from: phone.deviceId, to: deviceB, ...message }), [{ jid: alice.jid, deviceId: deviceB, bundle }]);
    await tab.command('omemoRelay', { from: phone.deviceId, to: deviceB, encrypted: encrypted.toString() });
  };
  await forge({ type: 'chunk', seq: 0, peer: bobUser.jid, entries: [{ id: firstId, text: 'FORGED history' }] });
  await incoming.getByTestId('handover-refused').filter({ hasText: `Refused history from device ${phone.deviceId}: no handover from it was accepted in this tab.` }).waitFor({ timeout: 20_000 });

  // Marked compromised in B's Security panel, the same device cannot even offer.
  await incoming.getByTestId('handover-close').click();
  await pageB.getByTestId('security-open').click();
  const phoneRow = pageB.getByTestId('security-own').locator(`[data-testid="security-device"][data-device-id="${phone.deviceId}"]`);
  await phoneRow.getByTestId('security-set-compromised').click();
  await pageB.locator(`[data-testid="security-own"] [data-device-id="${phone.deviceId}"][data-trust="compromised"]`).waitFor({ timeout: 10_000 });
  await pageB.getByTestId('security-close').click();
  await forge({ type: 'offer', conversations: [{ peer: bobUser.jid, count: 1 }], chunks: 1 });
  await incoming.getByTestId('handover-refused').filter({ hasText: `Ignored a message from device ${phone.deviceId}: that device is marked compromised here, or its key changed.` }).waitFor({ timeout: 20_000 });
  assert.equal(await incoming.getByTestId('handover-accept').count(), 0, 'no offer to accept');
  assert.deepEqual(await bodies(pageB), texts, 'the forged text is nowhere');

  // The server relayed ciphertext only: no plaintext in its database or in anything it logged.
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query('SELECT * FROM "Message"');
    assert.ok(rows.length >= 4);
    const dump = JSON.stringify(rows);
    for (const t of [...texts, 'FORGED history']) assert.equal(dump.includes(t), false, `"${t}" is in the Message table`);
  } finally {
    await db.end();
  }
  assert.ok(logged.length > 0, 'Parley logged something at trace level');
  const log = logged.join('');
  for (const t of [...texts, 'FORGED history']) assert.equal(log.includes(t), false, `"${t}" is in Parley's log`);
  assert.deepEqual(errors, []);
});
