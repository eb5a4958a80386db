/**
 * The composer's file button in real Chromium: a file goes out through the button and shows as a link; in an
 * end-to-end encrypted conversation with a contact who has no OMEMO device nothing leaves (never in clear); a file
 * over the server's limit is refused in the tab with the limit in words.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { launchBrowser, logInPage } from '../harness/browser.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';
import { until } from '../harness/poll.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let browser: Browser;
  const peers: XmppPeer[] = [];

  before(async () => {
    // 0.01 MB = 10485 bytes: small enough to test the tab's own check cheaply.
    stack = await TestStack.start({ server: kind, env: { PARLEY_UPLOAD_LIMIT_MB: '0.01' } });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const p of peers) await p.stop();
    await browser?.close();
    await stack?.close();
  });

  const hasOob = (el: { getChild: (n: string, ns: string) => unknown }) => el.getChild('x', 'jabber:x:oob') !== undefined;

  test('file button: sent as a link; never in clear when the conversation is encrypted; over the limit refused in the tab', async () => {
    const alice = await stack.newUser('fba');
    const bob = await stack.newUser('fbb');
    const bobClient = await XmppPeer.login(stack.server, bob.jid, bob.password);
    peers.push(bobClient);
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logInPage(page, stack.url, alice.jid, alice.password);
    await page.goto(`${stack.url}/#chat/${bob.jid}`);
    await page.getByTestId('composer-file').waitFor();
    const input = page.getByTestId('composer-file-input');

    // Plain conversation: no question asked.
    await input.setInputFiles({ name: 'plain.txt', mimeType: 'text/plain', buffer: Buffer.from('plain file') });
    const first = await bobClient.waitForMessage(hasOob);
    assert.equal(await (await fetch(first.getChildText('body')!)).text(), 'plain file');
    await page.getByTestId('message-attachment').filter({ hasText: 'plain.txt' }).waitFor();

    // The user turned encryption on for Bob, who has no OMEMO device: the file cannot be encrypted for him, so
    // nothing leaves (files are never sent in clear in an encrypted conversation), and the tab says why.
    await page.evaluate((peer) => localStorage.setItem(`parley.encryption.${peer}`, 'on'), bob.jid);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await input.setInputFiles({ name: 'secret.txt', mimeType: 'text/plain', buffer: Buffer.from('not this one') });
    const error = page.locator('#composer-error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent())!, /secret\.txt.*has no OMEMO devices/);
    assert.equal(bobClient.messages.filter(hasOob).length, 1, 'nothing sent in clear');
    await page.evaluate((peer) => localStorage.setItem(`parley.encryption.${peer}`, 'off'), bob.jid);

    // Over the limit: refused before any upload, with the limit said in words.
    await input.setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(20_000) });
    await until(async () => /big\.bin is 19\.5 KB; this server accepts files up to 10\.2 KB/.test((await error.textContent()) ?? ''), 'the limit error shows');
    assert.equal(await page.getByTestId('upload').count(), 0, 'no upload started');
    assert.equal(bobClient.messages.filter(hasOob).length, 1);
    assert.deepEqual(dialogs, [], 'no question asked');
    assert.deepEqual(errors, []);
  });
});
