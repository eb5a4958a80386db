/**
 * Message mutations in real Chromium against Parley + Prosody: the Up arrow edits the last message and both tabs show
 * "edited" with the earlier version on request; a retraction leaves a tombstone in both tabs; deleting the
 * conversation in one tab clears the other (and the archive does not bring it back after a reload); "typing…" shows
 * while a raw XMPP peer composes; and an OMEMO correction both ways with the reference device (libsignal-client).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml } from '@xmpp/xml';
import type { Page } from 'playwright-core';
import { e2eStack } from '../harness/e2e.js';
import { logInPage, saveScreenshot } from '../harness/browser.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

const CORRECT = 'urn:xmpp:message-correct:0';
const STATES = 'http://jabber.org/protocol/chatstates';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  const e2e = e2eStack({ server: kind });

  async function twoTabs(jid: string, password: string, peer: string): Promise<{ tab1: Page; tab2: Page; errors: string[] }> {
    const context = await e2e.browser.newContext({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    const tab1 = await context.newPage();
    tab1.on('pageerror', (e) => errors.push(e.message));
    tab1.on('dialog', (d) => void d.accept());
    await logInPage(tab1, e2e.stack.url, jid, password);
    await tab1.goto(`${e2e.stack.url}/#chat/${peer}`);
    const tab2 = await context.newPage();
    tab2.on('pageerror', (e) => errors.push(e.message));
    tab2.on('dialog', (d) => void d.accept());
    await tab2.goto(`${e2e.stack.url}/#chat/${peer}`);
    return { tab1, tab2, errors };
  }

  test('edit with the Up arrow, retract, typing, and delete the conversation, across two tabs', async () => {
    const alice = await e2e.stack.newUser('e2emut-a');
    const bob = await e2e.stack.newUser('e2emut-b');
    const bobClient = await XmppPeer.login(e2e.stack.server, bob.jid, bob.password);
    try {
      const { tab1, tab2, errors } = await twoTabs(alice.jid, alice.password, bob.jid);
      const input = tab1.getByTestId('composer-input');
      await input.fill('helo <b>wrold</b>');
      await input.press('Enter');
      await tab2.getByTestId('message-body').filter({ hasText: 'helo <b>wrold</b>' }).waitFor({ timeout: 10_000 });
      const original = await bobClient.waitForMessage((el) => el.getChildText('body') === 'helo <b>wrold</b>');

      // Up in the empty box: the last message comes back to be corrected.
      await input.press('ArrowUp');
      await tab1.getByTestId('composer-editing').waitFor();
      assert.equal(await input.inputValue(), 'helo <b>wrold</b>');
      await input.fill('hello <b>world</b>');
      await input.press('Enter');
      const wire = await bobClient.waitForMessage((el) => el.getChildText('body') === 'hello <b>world</b>');
      assert.equal(wire.getChild('replace', CORRECT)?.attrs.id, original.attrs.id);
      for (const tab of [tab1, tab2]) {
        const item = tab.getByTestId('message').filter({ hasText: 'hello <b>world</b>' });
        await item.getByTestId('message-edited').waitFor({ timeout: 10_000 });
        assert.equal(await item.getByTestId('message-body').textContent(), 'hello <b>world</b>', 'text, not HTML');
        assert.equal(await tab.getByTestId('message-body').filter({ hasText: 'helo' }).count(), 0);
      }
      const edited = tab2.getByTestId('message').filter({ hasText: 'hello <b>world</b>' });
      await edited.getByTestId('message-edited').click();
      await edited.getByTestId('message-version').filter({ hasText: 'helo <b>wrold</b>' }).waitFor({ timeout: 10_000 });
      await saveScreenshot(tab2, `${kind}-e2e-mutations-edited.png`);
      // From PostgreSQL after a reload: still the corrected text, still marked.
      await tab1.reload();
      await tab1.getByTestId('message').filter({ hasText: 'hello <b>world</b>' }).getByTestId('message-edited').waitFor({ timeout: 10_000 });

      // Bob types: "typing…" in both tabs; then he stops.
      await bobClient.sendRaw(xml('message', { to: alice.jid, type: 'chat' }, xml('composing', { xmlns: STATES })));
      for (const tab of [tab1, tab2]) await tab.getByTestId('typing').filter({ hasText: 'is typing' }).waitFor({ timeout: 10_000 });
      await bobClient.sendRaw(xml('message', { to: alice.jid, type: 'chat' }, xml('paused', { xmlns: STATES })));
      for (const tab of [tab1, tab2]) await tab.getByTestId('typing').waitFor({ state: 'hidden', timeout: 10_000 });
      // And Alice's typing reaches Bob.
      await input.pressSequentially('abc');
      await bobClient.waitForMessage((el) => el.getChild('composing', STATES) !== undefined);
      await input.fill('');

      // Retract from tab 2's menu: a tombstone in both tabs, the retraction on the wire.
      await edited.getByTestId('message-actions').locator('summary').click();
      await edited.getByTestId('message-retract').click();
      for (const tab of [tab1, tab2]) await tab.getByTestId('message-retracted').waitFor({ timeout: 10_000 });
      await bobClient.waitForMessage((el) => el.getChild('retract', 'urn:xmpp:message-retract:1') !== undefined);
      assert.equal(await tab1.getByTestId('message').filter({ hasText: 'hello' }).count(), 0);
      await tab1.reload();
      await tab1.getByTestId('message-retracted').waitFor({ timeout: 10_000 });

      // Delete the conversation from tab 1: tab 2 empties too, and stays empty after a reload (no archive comeback).
      await bobClient.sendChat(alice.jid, 'bob says hi');
      await tab2.getByTestId('message-body').filter({ hasText: 'bob says hi' }).waitFor({ timeout: 10_000 });
      await tab1.getByTestId('conversation-delete').click();
      await tab2.getByTestId('message').first().waitFor({ state: 'detached', timeout: 10_000 });
      await tab1.getByTestId('message').first().waitFor({ state: 'detached', timeout: 10_000 });
      await tab2.reload();
      await tab2.locator('.history-status').filter({ hasText: /\S/ }).waitFor({ timeout: 10_000 });
      assert.equal(await tab2.getByTestId('message').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await bobClient.stop();
    }
  });

  test('OMEMO: a correction from the reference device replaces the decrypted text; ours is encrypted with replace outside', async () => {
    const alice = await e2e.stack.newUser('e2emuto-a');
    const bobUser = await e2e.stack.newUser('e2emuto-b');
    const bob = await OmemoPeer.start(e2e.stack.server, bobUser.jid, bobUser.password);
    try {
      const context = await e2e.browser.newContext({ viewport: { width: 1200, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await logInPage(page, e2e.stack.url, alice.jid, alice.password);
      await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: 20_000 });
      const deviceId = Number(await page.evaluate(() => document.body.dataset.omemoDevice));
      const deadline = Date.now() + 15_000;
      while (!(await bob.devices(alice.jid)).includes(deviceId)) {
        if (Date.now() > deadline) throw new Error('the tab device never reached the device list');
        await new Promise((r) => setTimeout(r, 200));
      }

      const firstId = await bob.sendEncrypted(alice.jid, 'secret tpyo');
      await page.goto(`${e2e.stack.url}/#chat/${bobUser.jid}`);
      await page.getByTestId('message-body').filter({ hasText: 'secret tpyo' }).waitFor({ timeout: 20_000 });
      await bob.sendEncrypted(alice.jid, 'secret typo, fixed', { extra: [xml('replace', { xmlns: CORRECT, id: firstId })] });
      const item = page.getByTestId('message').filter({ hasText: 'secret typo, fixed' });
      await item.getByTestId('message-edited').waitFor({ timeout: 20_000 });
      assert.equal(await page.getByTestId('message-body').filter({ hasText: 'tpyo' }).count(), 0);
      // The earlier version is decrypted in the tab (from this browser's plaintext cache).
      await item.getByTestId('message-edited').click();
      await item.getByTestId('message-version').filter({ hasText: 'secret tpyo' }).waitFor({ timeout: 10_000 });
      // The server holds ciphertext only, for both versions.
      const accountId = e2e.stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!.accountId;
      const rows = await e2e.stack.parley.stores.messages.page(accountId, bobUser.jid, { limit: 10 });
      assert.equal(rows.length, 1);
      assert.ok(rows[0]!.encrypted?.startsWith('<encrypted'));
      const versions = await e2e.stack.parley.stores.mutations.versions(accountId, rows[0]!.id);
      assert.equal(versions.length, 1);
      assert.ok(!JSON.stringify(rows).includes('secret') && !JSON.stringify(versions).includes('secret'));

      // Alice writes and corrects with the Up arrow: Bob decrypts the correction, <replace> outside <encrypted>.
      await page.getByTestId('encryption-toggle').and(page.locator('[aria-pressed="true"]')).waitFor({ timeout: 10_000 });
      const input = page.getByTestId('composer-input');
      await input.fill('encrypted draft');
      await input.press('Enter');
      const sent = await bob.waitForDecrypted((m) => m.text === 'encrypted draft', 20_000);
      await page.getByTestId('message-body').filter({ hasText: 'encrypted draft' }).waitFor({ timeout: 10_000 });
      await input.press('ArrowUp');
      await page.getByTestId('composer-editing').waitFor();
      assert.equal(await input.inputValue(), 'encrypted draft');
      await input.fill('encrypted final');
      await input.press('Enter');
      const fixed = await bob.waitForDecrypted((m) => m.text === 'encrypted final', 20_000);
      assert.equal(fixed.stanza.getChild('replace', CORRECT)?.attrs.id, sent.stanza.attrs.id);
      assert.equal(fixed.stanza.getChild('encrypted', 'eu.siacs.conversations.axolotl')?.getChild('replace'), undefined);
      // This tab shows its own corrected text (kept at send time under the correction's id).
      await page.getByTestId('message').filter({ hasText: 'encrypted final' }).getByTestId('message-edited').waitFor({ timeout: 10_000 });
      await saveScreenshot(page, `${kind}-e2e-mutations-omemo.png`);

      // Deleting the conversation drops this browser's plaintexts too, the corrected versions' included.
      const plaintexts = () => page.evaluate(() => new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('parley-omemo-plaintext');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction('plaintext').objectStore('plaintext').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
      }));
      assert.ok((await plaintexts()) >= 3, 'the original, its correction and our corrected message were cached');
      page.on('dialog', (d) => void d.accept());
      await page.getByTestId('conversation-delete').click();
      await page.getByTestId('message').first().waitFor({ state: 'detached', timeout: 10_000 });
      const until = Date.now() + 10_000;
      while ((await plaintexts()) !== 0) {
        if (Date.now() > until) throw new Error(`plaintexts left: ${await plaintexts()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(errors, []);
    } finally {
      await bob.stop();
    }
  });
});
