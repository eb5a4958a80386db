/**
 * Message rendering in real Chromium: reactions (XEP-0444) made in one tab show in the other and reach the contact;
 * replies (XEP-0461) show a quote that jumps to the quoted message, and go out with their fallback; XEP-0393 styling
 * and links render as elements with no HTML injection; a huge styled body keeps frames short; and a reply in an
 * OMEMO conversation with the reference device (libsignal-client), the quote stripped after decryption.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import type { Browser, Page } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { launchBrowser, saveScreenshot, logInPage, watchedPage } from '../harness/browser.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';

const NS_REACTIONS = 'urn:xmpp:reactions:0';
let stack: TestStack;
let browser: Browser;
const stops: (() => Promise<unknown>)[] = [];

before(async () => {
  stack = await TestStack.start();
  browser = await launchBrowser();
});
after(async () => {
  for (const s of stops) await s().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

const replyExtra = (to: string, id: string, end: number): Element[] => [
  xml('reply', { xmlns: 'urn:xmpp:reply:0', to, id }),
  xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String(end) })),
];

function bubble(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-body').filter({ hasText: text }) });
}

/** The longest gap between animation frames while `during` runs (ms). */
async function longestFrame(page: Page, during: () => Promise<void>): Promise<number> {
  // A string, not a function: the test's compiler would wrap a named inner function in a helper the page lacks.
  await page.evaluate(`(() => {
    const f = (window.__frames = { max: 0, last: performance.now(), on: true });
    requestAnimationFrame(function tick(t) {
      f.max = Math.max(f.max, t - f.last);
      f.last = t;
      if (f.on) requestAnimationFrame(tick);
    });
  })()`);
  await during();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page.evaluate(() => {
    const w = window as unknown as { __frames: { max: number; on: boolean } };
    w.__frames.on = false;
    return w.__frames.max;
  });
}

test('reactions across tabs and to the contact; replies with a quote that jumps; styling and links without injection', async () => {
  const alice = await stack.newUser('render-a');
  const bob = await stack.newUser('render-b');
  const { page, hits, dialogs } = await watchedPage(browser);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await logInPage(page, stack.url, alice.jid, alice.password);
  const bobClient = await XmppPeer.login(stack.prosody, bob.jid, bob.password);
  stops.push(() => bobClient.stop());

  const original = `Shall we bake a cake? ${randomUUID().slice(0, 8)}`;
  const originalId = await bobClient.sendChat(alice.jid, original);
  await page.goto(`${stack.url}/#chat/${bob.jid}`);
  await bubble(page, original).waitFor({ timeout: 20_000 });
  const second = await page.context().newPage();
  await second.goto(`${stack.url}/#chat/${bob.jid}`);
  await bubble(second, original).waitFor({ timeout: 20_000 });

  // React in the first tab with the picker (searched): the second tab and Bob see it.
  await bubble(page, original).getByTestId('message-react').click();
  await page.getByTestId('emoji-picker').locator('input').fill('party');
  await page.getByTestId('emoji-picker').locator('[data-emoji="🎉"]').click();
  const inSecond = bubble(second, original).locator('[data-testid="reaction"][data-emoji="🎉"]');
  await inSecond.waitFor({ timeout: 10_000 });
  assert.equal((await inSecond.textContent())?.replace(/\s+/g, ''), '🎉1');
  assert.equal(await inSecond.getAttribute('aria-pressed'), 'true');
  const atBob = await bobClient.waitForMessage((el) => el.getChild('reactions', NS_REACTIONS)?.attrs.id === originalId);
  assert.deepEqual(atBob.getChild('reactions', NS_REACTIONS)!.getChildren('reaction').map((r) => r.text()), ['🎉']);
  // Bob reacts too: the count and the names in the title.
  await bobClient.sendRaw(xml('message', { to: alice.jid, type: 'chat', id: randomUUID() }, xml('reactions', { xmlns: NS_REACTIONS, id: originalId }, xml('reaction', {}, '🎉'), xml('reaction', {}, '👍'))));
  await page.locator('[data-testid="reaction"][data-emoji="🎉"]').filter({ hasText: '2' }).waitFor({ timeout: 10_000 });
  assert.match((await page.locator('[data-testid="reaction"][data-emoji="🎉"]').getAttribute('title'))!, /You/);
  await second.locator('[data-testid="reaction"][data-emoji="👍"]').waitFor({ timeout: 10_000 });
  // Clicking ours in the second tab takes it back everywhere.
  await second.locator('[data-testid="reaction"][data-emoji="🎉"]').click();
  await page.locator('[data-testid="reaction"][data-emoji="🎉"]').filter({ hasText: '1' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('[data-testid="reaction"][data-emoji="🎉"]').getAttribute('aria-pressed'), 'false');

  // Many messages, then Bob replies to the first one: the quote shows its text, the fallback is not shown.
  for (let i = 0; i < 60; i++) await bobClient.sendChat(alice.jid, `filler ${i}`);
  const quote = `> ${original}\n`;
  await bobClient.sendChat(alice.jid, `${quote}Yes, a 🎂!`, { extra: replyExtra(`${alice.jid}/x`, originalId, [...quote].length) });
  const replyBubble = bubble(page, 'Yes, a 🎂!');
  await replyBubble.waitFor({ timeout: 20_000 });
  assert.equal(await replyBubble.getByTestId('message-body').textContent(), 'Yes, a 🎂!');
  assert.equal(await replyBubble.getByTestId('reply-quote').locator('.reply-text').textContent(), original);
  await replyBubble.getByTestId('reply-quote').click();
  await page.locator('.message-highlight').filter({ hasText: original }).waitFor({ timeout: 10_000 });

  // Alice replies from the menu: "Replying to …", then the stanza carries the reply and the quoted fallback.
  await page.getByTestId('message-list').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await replyBubble.getByTestId('message-reply').click();
  await page.getByTestId('replying').waitFor();
  await page.getByTestId('composer-input').fill('Great, *tomorrow*');
  await page.getByTestId('composer-input').press('Enter');
  const sent = await bobClient.waitForMessage((el) => el.getChildText('body')?.endsWith('Great, *tomorrow*') === true);
  assert.equal(sent.getChildText('body'), '> Yes, a 🎂!\nGreat, *tomorrow*');
  assert.ok(sent.getChild('reply', 'urn:xmpp:reply:0'));
  assert.equal(sent.getChild('fallback', 'urn:xmpp:fallback:0')?.getChild('body')?.attrs.end, String([...'> Yes, a 🎂!\n'].length));
  assert.equal(await page.getByTestId('replying').count(), 0);
  const own = bubble(page, 'Great, *tomorrow*');
  await own.waitFor({ timeout: 10_000 });
  assert.equal(await own.locator('strong').textContent(), 'tomorrow');
  assert.equal(await own.getByTestId('reply-quote').locator('.reply-text').textContent(), 'Yes, a 🎂!');

  // Styling and links render as elements; hostile markup inside styling stays text and never runs.
  const payloads = xssPayloads().slice(0, 30);
  for (const p of payloads) await bobClient.sendChat(alice.jid, `*${p}* _${p}_ \`${p}\``);
  const styled = 'Plain *bold* _it_ ~gone~ `a*b*c` https://example.org/a_b?q=1. javascript:xss(999) data:text/html,xss\n> quoted *x*\n>> deeper\n```\n*raw*\n```';
  await bobClient.sendChat(alice.jid, styled);
  const emojiId = await bobClient.sendChat(alice.jid, '👍🎉');
  const emojiOnly = page.locator('[data-emoji-only="true"]').filter({ hasText: '👍🎉' });
  await emojiOnly.waitFor({ timeout: 20_000 });
  const styledBubble = bubble(page, 'Plain');
  await styledBubble.scrollIntoViewIfNeeded();
  assert.equal(await styledBubble.locator('strong').first().textContent(), 'bold');
  assert.equal(await styledBubble.locator('em').first().textContent(), 'it');
  assert.equal(await styledBubble.locator('s').first().textContent(), 'gone');
  assert.equal(await styledBubble.locator('code').first().textContent(), 'a*b*c');
  assert.equal(await styledBubble.locator('blockquote blockquote').first().textContent(), 'deeper');
  assert.equal(await styledBubble.locator('pre').textContent(), '*raw*');
  const links = await styledBubble.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel'), a.textContent]));
  assert.deepEqual(links, [['https://example.org/a_b?q=1', '_blank', 'noopener noreferrer', 'https://example.org/a_b?q=1']]);
  assert.equal(await page.locator('.message-body a[href^="javascript:"], .message-body a[href^="data:"]').count(), 0);
  assert.equal(await page.locator('.message-body script, .message-body img, .message-body iframe, .message-body svg').count(), 0);
  await saveScreenshot(page, 'e2e-rendering.png');

  // Measured in the front tab only: a tab in the background gets one frame a second.
  await second.close();
  await page.bringToFront();
  // 2,000 reaction stanzas to one message: the last set wins, the tab stays responsive.
  const N = 2_000;
  const floodFrame = await longestFrame(page, async () => {
    for (let i = 0; i < N; i++) {
      void bobClient.conn.send(xml('message', { to: alice.jid, type: 'chat', id: `f${i}` }, xml('reactions', { xmlns: NS_REACTIONS, id: emojiId }, xml('reaction', {}, i % 2 ? '🔥' : '👍'), xml('reaction', {}, String.fromCodePoint(0x1f600 + (i % 40))))));
    }
    await bobClient.sendChat(alice.jid, 'after the flood');
    await bubble(page, 'after the flood').waitFor({ timeout: 60_000 });
    await page.locator('[data-emoji-only="true"]').locator('xpath=ancestor::*[@data-testid="message"]').locator(`[data-testid="reaction"][data-emoji="${String.fromCodePoint(0x1f600 + ((N - 1) % 40))}"]`).waitFor({ timeout: 60_000 });
  });
  console.log(`longest frame while ${N} reaction stanzas arrived: ${floodFrame.toFixed(0)} ms`);
  const floodBar = page.locator('[data-emoji-only="true"]').locator('xpath=ancestor::*[@data-testid="message"]').getByTestId('reaction');
  assert.deepEqual(await floodBar.evaluateAll((els) => els.map((e) => e.getAttribute('data-emoji'))), ['🔥', String.fromCodePoint(0x1f600 + ((N - 1) % 40))]);
  // A freeze, not a speed goal (the figure is printed; the grouping per 50 ms is unit-tested): under a loaded CI box a
  // frame of 100-200 ms is ordinary, one render per stanza would hold the tab for seconds.
  assert.ok(floodFrame < 500, `longest frame ${floodFrame} ms`);

  // A huge styled body (what one stanza can carry: 150,000 characters, 10,000 markers, unmatched and nested).
  const huge = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? '*' : i % 3 === 1 ? '_~' : '> `') + 'x'.repeat(12)).join(' ');
  const worst = await longestFrame(page, async () => {
    await bobClient.sendChat(alice.jid, huge);
    await page.getByTestId('message-show-more').waitFor({ timeout: 30_000 });
  });
  // Shown collapsed: its beginning, styled; the rest on request.
  const hugeBubble = page.getByTestId('message').filter({ has: page.getByTestId('message-show-more') });
  assert.ok((await hugeBubble.getByTestId('message-body').textContent())!.startsWith(huge.slice(0, 1000)));
  await hugeBubble.getByTestId('message-show-more').click();
  await page.getByTestId('message-body').filter({ hasText: huge.slice(-200) }).first().waitFor({ timeout: 30_000 });
  console.log(`longest frame while a ${huge.length}-character styled body arrived and rendered: ${worst.toFixed(0)} ms`);
  assert.ok(worst < 500, `longest frame ${worst} ms (a freeze)`);

  assert.deepEqual(await hits(), [], 'no payload executed');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
});

test('a quote jumps to a message not loaded yet (older pages load until it shows), or says it is not available', async () => {
  const alice = await stack.newUser('render-jump-a');
  const bob = await stack.newUser('render-jump-b');
  const bobClient = await XmppPeer.login(stack.prosody, bob.jid, bob.password);
  stops.push(() => bobClient.stop());
  const original = `the very first ${randomUUID().slice(0, 8)}`;
  const originalId = await bobClient.sendChat(alice.jid, original);
  for (let i = 0; i < 130; i++) await bobClient.sendChat(alice.jid, `filler ${i}`);
  const quote = `> ${original}\n`;
  await bobClient.sendChat(alice.jid, `${quote}about that`, { extra: replyExtra(alice.jid, originalId, [...quote].length) });
  const lost = '> something we never had\n';
  await bobClient.sendChat(alice.jid, `${lost}and this`, { extra: replyExtra(alice.jid, 'never-seen-id', [...lost].length) });
  await bobClient.waitForMessage(() => false, 300).catch(() => undefined);

  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#chat/${bob.jid}`);
  const lostBubble = bubble(page, 'and this');
  await lostBubble.waitFor({ timeout: 20_000 });
  // Not held: the quote shows the fallback's text; a click says so.
  assert.equal(await lostBubble.getByTestId('reply-quote').locator('.reply-text').textContent(), 'something we never had');
  const jumpBubble = bubble(page, 'about that');
  assert.equal(await jumpBubble.getByTestId('reply-quote').locator('.reply-text').textContent(), original, 'the fallback text until the message is loaded');
  assert.equal(await page.getByTestId('message').filter({ hasText: original }).count(), 1, 'only the reply is in the list so far');
  await jumpBubble.getByTestId('reply-quote').click();
  await page.locator('.message-highlight').filter({ has: page.getByTestId('message-body').filter({ hasText: original }) }).waitFor({ timeout: 30_000 });
  await page.getByTestId('message-list').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await lostBubble.getByTestId('reply-quote').click();
  await page.getByTestId('reply-missing').waitFor({ timeout: 30_000 });
  assert.deepEqual(errors, []);
});

test('OMEMO: a reply to the reference device goes out with the quote inside the ciphertext; its reply shows stripped after decryption', async () => {
  const alice = await stack.newUser('render-oa');
  const bobUser = await stack.newUser('render-ob');
  const bob = await OmemoPeer.start(stack.prosody, bobUser.jid, bobUser.password);
  stops.push(() => bob.stop());
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: 20_000 });
  const deviceId = Number(await page.evaluate(() => document.body.dataset.omemoDevice));
  const deadline = Date.now() + 15_000;
  while (!(await bob.devices(alice.jid)).includes(deviceId)) {
    if (Date.now() > deadline) throw new Error('tab device not listed');
    await new Promise((r) => setTimeout(r, 200));
  }

  const secret = `encrypted question ${randomUUID().slice(0, 8)}`;
  const secretId = await bob.sendEncrypted(alice.jid, secret);
  await page.goto(`${stack.url}/#chat/${bobUser.jid}`);
  const question = bubble(page, secret);
  await question.waitFor({ timeout: 20_000 });
  await page.getByTestId('encryption-toggle').and(page.locator('[aria-pressed="true"]')).waitFor({ timeout: 10_000 });

  await question.getByTestId('message-reply').click();
  await page.getByTestId('composer-input').fill('encrypted answer');
  await page.getByTestId('composer-input').press('Enter');
  const got = await bob.waitForDecrypted((m) => m.text?.endsWith("encrypted answer") === true, 20_000);
  assert.equal(got.text, `> ${secret}\nencrypted answer`, 'the quote is inside the ciphertext');
  const reply = got.stanza.getChild('reply', 'urn:xmpp:reply:0');
  assert.equal(reply?.attrs.id, secretId);
  assert.equal(got.stanza.getChildText('body')?.includes(secret), false, 'no plaintext outside the ciphertext');
  const answer = bubble(page, 'encrypted answer');
  await answer.waitFor({ timeout: 10_000 });
  assert.equal(await answer.getByTestId('message-body').textContent(), 'encrypted answer');
  assert.equal(await answer.getByTestId('reply-quote').locator('.reply-text').textContent(), secret);

  // The reference device replies to Alice's answer (Conversations' shape): stripped after decryption in the tab.
  const answerRow = (await stack.parley.stores.messages.page(stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!.accountId, bobUser.jid, { limit: 5 }))
    .find((r) => r.direction === 'out')!;
  const quote = '> encrypted answer\n';
  await bob.sendEncrypted(alice.jid, `${quote}see you then`, { extra: replyExtra(alice.jid, answerRow.originId!, [...quote].length) });
  const last = bubble(page, 'see you then');
  await last.waitFor({ timeout: 20_000 });
  assert.equal(await last.getByTestId('message-body').textContent(), 'see you then');
  assert.equal(await last.getByTestId('reply-quote').locator('.reply-text').textContent(), 'encrypted answer');
  // The server stored only ciphertext for all of it.
  const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
  for (const row of await stack.parley.stores.messages.page(session.accountId, bobUser.jid, { limit: 10 })) {
    assert.ok(row.encrypted);
    for (const text of [secret, 'encrypted answer', 'see you then']) assert.equal(row.body?.includes(text) ?? false, false);
  }
  await saveScreenshot(page, 'e2e-rendering-omemo.png');
  assert.deepEqual(errors, []);
});
