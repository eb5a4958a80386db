/**
 * Real Chromium: the search box finds a plain message (from the server) and an OMEMO message this browser decrypted
 * (from IndexedDB), and a hit opens its conversation around the message, scrolled to and highlighted, with older and
 * newer history paging from there.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { e2eStack } from '../harness/e2e.js';
import { logInPage } from '../harness/browser.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { until } from '../harness/poll.js';

const e2e = e2eStack();
let carol: OmemoPeer | null = null;
after(async () => {
  await carol?.stop();
});

test('search finds plain and decrypted OMEMO messages and opens the conversation around the hit', async () => {
  const alice = await e2e.stack.newUser('srch-a');
  const bob = await e2e.stack.newUser('srch-b');
  const carolUser = await e2e.stack.newUser('srch-c');
  const tag = randomUUID().slice(0, 8);

  // Alice's history with Bob: 120 plain messages stored (as an archive catch-up would), number 30 with the word searched for.
  const aliceId = (await e2e.stack.parley.stores.accounts.upsert(alice.jid)).id;
  const t0 = Date.now() - 3600_000;
  await e2e.stack.parley.stores.messages.bulkInsertRaw(Array.from({ length: 120 }, (_, i) => ({
    accountId: aliceId, peer: bob.jid, direction: 'in' as const, fromJid: `${bob.jid}/x`, toJid: alice.jid, type: 'chat',
    body: i === 30 ? `the quokka${tag} is in the garden` : `filler message ${i}`, encrypted: null, messageId: null, originId: null,
    stanzaId: null, stamp: new Date(t0 + i * 1000), state: 'displayed' as const,
  })));

  const page = await (await e2e.browser.newContext()).newPage();
  await logInPage(page, e2e.stack.url, alice.jid, alice.password);
  await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: 20_000 });

  // Carol (libsignal-client) sends Alice an OMEMO message; the tab decrypts it when the conversation is shown.
  carol = await OmemoPeer.start(e2e.stack.server, carolUser.jid, carolUser.password);
  const deviceId = Number(await page.evaluate(() => document.body.dataset.omemoDevice));
  await until(async () => (await carol!.devices(alice.jid)).includes(deviceId), "the tab's device is listed", 15_000);
  const secret = `encrypted wombat${tag} story`;
  await carol.sendEncrypted(alice.jid, secret);
  await page.goto(`${e2e.stack.url}/#chat/${carolUser.jid}`);
  await page.getByTestId('message-body').filter({ hasText: secret }).waitFor({ timeout: 20_000 });
  const stored = await e2e.stack.parley.stores.search.search({ accountId: aliceId, terms: [`wombat${tag}`], limit: 5 });
  assert.equal(stored.rows.length, 0, 'the server cannot find an encrypted message');

  // The plain hit: from the server, the word marked in the snippet.
  await page.getByTestId('search-input').fill(`QUOKKA${tag}`);
  await page.getByTestId('search-input').press('Enter');
  const hit = page.getByTestId('search-hit');
  await hit.first().waitFor({ timeout: 10_000 });
  assert.equal(await hit.count(), 1);
  assert.equal(await hit.locator('mark').textContent(), `quokka${tag}`);
  assert.match((await hit.textContent())!, /the quokka.* is in the garden/);

  // The encrypted hit: from this browser's plaintexts.
  await page.getByTestId('search-input').fill(`wombat${tag}`);
  await page.getByTestId('search-input').press('Enter');
  await page.getByTestId('search-hit').filter({ hasText: secret }).waitFor({ timeout: 10_000 });
  assert.equal(await page.getByTestId('search-hit').count(), 1);

  // Back to the plain one: open it. The conversation shows it highlighted, in the middle of its neighbours.
  await page.getByTestId('search-input').fill(`quokka${tag}`);
  await page.getByTestId('search-input').press('Enter');
  await page.getByTestId('search-hit').filter({ hasText: `quokka${tag}` }).click();
  const focused = page.locator('[data-focused="true"]');
  await focused.waitFor({ timeout: 10_000 });
  assert.match((await focused.textContent())!, new RegExp(`quokka${tag}`));
  assert.equal(await focused.isVisible(), true);
  assert.ok(await page.getByTestId('message-body').filter({ hasText: /^filler message 29$/ }).count(), 'older neighbour loaded');
  assert.ok(await page.getByTestId('message-body').filter({ hasText: /^filler message 31$/ }).count(), 'newer neighbour loaded');
  assert.equal(await page.getByTestId('message-body').filter({ hasText: /^filler message 119$/ }).count(), 0, 'not the newest page');

  // Paging newer from there reaches the present; older reaches the beginning.
  const list = page.getByTestId('message-list');
  await until(async () => {
    await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    return (await page.getByTestId('message-body').filter({ hasText: /^filler message 119$/ }).count()) > 0;
  }, 'newer pages reach the newest message', 20_000);
  await until(async () => {
    await list.evaluate((el) => el.scrollTo({ top: 0 }));
    return (await page.getByTestId('message-body').filter({ hasText: /^filler message 0$/ }).count()) > 0;
  }, 'older pages reach the first message', 20_000);

});
