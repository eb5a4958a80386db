/**
 * Every text from the network renders as text: 100+ XSS payloads sent by a real second XMPP account as message
 * bodies and status texts, and pushed as contact names, are shown verbatim in real Chromium and none executes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/xml';
import type { Browser } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { launchBrowser, saveScreenshot, logInPage, watchedPage, scrollThrough } from '../harness/browser.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';

let stack: TestStack;
let browser: Browser;
const peers: XmppPeer[] = [];

before(async () => {
  stack = await TestStack.start();
  browser = await launchBrowser();
});
after(async () => {
  for (const p of peers) await p.stop();
  await browser?.close();
  await stack?.close();
});

test('XSS payloads in bodies, contact names and status texts render as text and never run', async () => {
  const payloads = xssPayloads();
  assert.ok(payloads.length >= 100);
  const alice = await stack.newUser('xssa');
  const bob = await stack.newUser('xssb');
  const { page, hits, dialogs } = await watchedPage(browser);
  await logInPage(page, stack.url, alice.jid, alice.password);

  const bobClient = await XmppPeer.login(stack.prosody, bob.jid, bob.password);
  const alicePhone = await XmppPeer.login(stack.prosody, alice.jid, alice.password, 'phone');
  peers.push(bobClient, alicePhone);

  // Contact names: Alice's other client puts hostile names in her roster; Parley gets them as roster pushes.
  const named = payloads.slice(0, 40);
  for (const [i, name] of named.entries()) {
    await alicePhone.conn.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: `c${i}@${stack.prosody.domain}`, name }))));
  }
  // Bob is a mutual contact whose status text is hostile.
  await alicePhone.conn.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: bob.jid, name: payloads[41]! }))));
  // Alice subscribes to Bob's presence and Bob approves: Bob's hostile status text reaches Alice.
  await alicePhone.sendRaw(xml('presence', { to: bob.jid, type: 'subscribe' }));
  await bobClient.sendRaw(xml('presence', { to: alice.jid, type: 'subscribed' }));
  await bobClient.sendRaw(xml('presence', {}, xml('status', {}, payloads[42]!)));

  for (const body of payloads) await bobClient.sendChat(alice.jid, body);
  await page.goto(`${stack.url}/#chat/${bob.jid}`);
  await page.getByTestId('message-body').filter({ hasText: payloads.at(-1)!.slice(0, 30) }).first().waitFor({ timeout: 20_000 });

  // Scroll through the whole conversation so every payload is rendered at least once (the list is virtualised).
  const bodies = new Set<string>();
  await scrollThrough(page, '[data-testid="message-list"]', 'up', async () => {
    for (const t of await page.getByTestId('message-body').allTextContents()) bodies.add(t);
  }, () => payloads.every((p) => bodies.has(p)));
  const missing = payloads.filter((p) => !bodies.has(p));
  assert.deepEqual(missing, [], 'every body shown verbatim as text');

  // XML attribute-value normalisation turns tabs and newlines in a roster name into spaces on the wire.
  const squash = (s: string) => s.replace(/\s+/g, ' ');
  const contactTexts: string[] = [];
  await page.locator('.contacts').evaluate((el) => el.scrollTo(0, 0));
  await scrollThrough(page, '.contacts', 'down', async () => {
    contactTexts.push(...(await page.getByTestId('contact').allTextContents()));
  });
  const contactText = squash(contactTexts.join('\n'));
  for (const name of named) assert.ok(contactText.includes(squash(name)), `contact name shown as text: ${name}`);
  await page.getByText(payloads[42]!, { exact: false }).first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(500);
  await saveScreenshot(page, 'e2e-xss.png');
  assert.deepEqual(await hits(), [], 'no payload executed');
  assert.deepEqual(dialogs, [], 'no dialog opened');
});
