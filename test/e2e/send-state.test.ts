/**
 * What a message bubble shows about its time and state, in real Chromium against Parley and Prosody:
 * - its state only moves forward in the tab that sent it (issue 15 item 4): the answer to the `send` command (state
 *   'pending') is held back at the WebSocket until the peer's receipt has made the message 'delivered'; when the late
 *   answer finally arrives it must not bring the clock back;
 * - a contact's backdated delay is shown as a claim, the message sitting where it arrived (issue 13 item 4).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml } from '@xmpp/xml';
import type { Browser } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { launchBrowser, logInPage } from '../harness/browser.js';

let stack: TestStack;
let browser: Browser;
const cleanup: (() => unknown)[] = [];

before(async () => {
  stack = await TestStack.start();
  browser = await launchBrowser();
});
after(async () => {
  for (const c of cleanup.reverse()) await c();
  await browser?.close();
  await stack?.close();
});

test("a late answer to 'send' does not turn a delivered message back into pending", async () => {
  const alice = await stack.newUser('late-a');
  const bob = await stack.newUser('late-b');
  const bobClient = await XmppPeer.login(stack.prosody, bob.jid, bob.password);
  cleanup.push(() => bobClient.stop());

  const text = `held back ${randomUUID()}`;
  const held: string[] = [];
  let release: ((frame: string) => void) | null = null;
  const context = await browser.newContext();
  cleanup.push(() => context.close());
  // Between the tab and Parley: every frame passes, except the acknowledgement of our send command, which waits
  // until the test lets it through. The ack is matched by its socket.io packet id ("42<id>["send",…]" out,
  // "43<id>[…]" back): other answers (a history page, say) may carry the same text and must pass.
  const sendIds = new Set<string>();
  await context.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      const frame = typeof m === 'string' ? m : m.toString();
      const sent = /^42(\d+)\["send",/.exec(frame);
      if (sent && frame.includes(text)) sendIds.add(sent[1]!);
      server.send(m);
    });
    release = (frame) => ws.send(frame);
    server.onMessage((m) => {
      const frame = typeof m === 'string' ? m : m.toString();
      const ack = /^43(\d+)\[/.exec(frame);
      if (ack && sendIds.has(ack[1]!)) held.push(frame);
      else ws.send(m);
    });
  });
  const page = await context.newPage();
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#chat/${bob.jid}`);
  await page.getByTestId('composer-input').fill(text);
  await page.getByTestId('composer-input').press('Enter');

  // Bob's client answers the receipt request; the tab hears 'delivered' through the event while its answer waits.
  // (30 s: the tab's login, the socket's hello and the send take over 10 s on a loaded machine.)
  const received = await bobClient.waitForMessage((el) => el.getChildText('body') === text, 30_000);
  await bobClient.sendRaw(xml('message', { to: String(received.attrs.from) }, xml('received', { xmlns: 'urn:xmpp:receipts', id: String(received.attrs.id) })));
  const bubble = page.locator('[data-testid="message"]').filter({ hasText: text });
  await bubble.and(page.locator('[data-state="delivered"]')).waitFor({ timeout: 15_000 });
  assert.equal(held.length, 1, 'the answer to send is still held back');

  // Now the late answer, then one more message from Bob: once that shows, the answer has been handled before it.
  release!(held[0]!);
  const after = `after the late answer ${randomUUID()}`;
  await bobClient.sendChat(alice.jid, after);
  await page.getByTestId('message-body').filter({ hasText: after }).waitFor({ timeout: 10_000 });
  assert.equal(await bubble.getAttribute('data-state'), 'delivered');
  assert.equal(await bubble.locator('.message-state').textContent(), '✓✓');
});

test('a backdated message shows the time its sender claims, as a claim, where it arrived', async () => {
  const alice = await stack.newUser('claim-a');
  const bob = await stack.newUser('claim-b');
  const bobClient = await XmppPeer.login(stack.prosody, bob.jid, bob.password);
  cleanup.push(() => bobClient.stop());
  const context = await browser.newContext();
  cleanup.push(() => context.close());
  const page = await context.newPage();
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#chat/${bob.jid}`);
  await bobClient.sendChat(alice.jid, 'honest');
  await page.getByTestId('message-body').filter({ hasText: 'honest' }).waitFor({ timeout: 10_000 });
  await bobClient.sendChat(alice.jid, 'from the past', { extra: [xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2001-01-01T12:00:00Z' })] });
  const bubble = page.locator('[data-testid="message"]').filter({ hasText: 'from the past' });
  await bubble.waitFor({ timeout: 10_000 });
  const claim = await bubble.getByTestId('message-claimed').textContent();
  assert.match(claim ?? '', /^sent at .*2001.* \(claimed\)$/);
  // In arrival order: after the honest message, not at the start of history.
  assert.deepEqual(await page.getByTestId('message-body').allTextContents(), ['honest', 'from the past']);
  assert.equal(await page.locator('[data-testid="message"]').filter({ hasText: 'honest' }).getByTestId('message-claimed').count(), 0);
});
