/**
 * Blocking (XEP-0191) in real Chromium: block a contact from its profile panel (with the confirmation), see the note in
 * the conversation and the mark in the contact list, then unblock from the settings' "Blocked contacts" list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/xml';
import { e2eStack } from '../harness/e2e.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { logInPage, watchedPage, saveScreenshot } from '../harness/browser.js';
import { until } from '../harness/poll.js';

const e2e = e2eStack();

test('block a contact from its profile, see the note, unblock from settings', async () => {
  const { stack, browser } = e2e;
  const alice = await stack.newUser('e2eblk');
  const bob = await stack.newUser('e2eblkbob');
  const { page, hits, dialogs } = await watchedPage(browser);
  await logInPage(page, stack.url, alice.jid, alice.password);
  const phone = await XmppPeer.login(stack.prosody, alice.jid, alice.password, 'phone');
  try {
    // Bob is in Alice's roster under a name that is markup (shown as text).
    await phone.conn.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: bob.jid, name: 'Bob <b>x</b>' }))));
    const row = page.locator(`[data-testid="contact"][data-jid="${bob.jid}"]`);
    await row.waitFor();
    await page.goto(`${stack.url}/#chat/${bob.jid}`);
    await page.getByTestId('profile-open').click();
    await page.getByTestId('contact-block').click();
    await page.getByTestId('contact-block-confirm').click();
    await page.getByTestId('blocked-note').waitFor();
    await page.getByTestId('contact-unblock').waitFor();
    assert.equal(await row.getAttribute('data-blocked'), 'true', 'marked in the contact list');
    const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
    assert.equal(session.blocking.isBlocked(bob.jid), true);
    await saveScreenshot(page, 'e2e-blocking-note.png');

    await page.goto(`${stack.url}/#settings`);
    const item = page.locator(`[data-testid="settings-blocked-item"][data-jid="${bob.jid}"]`);
    await item.waitFor();
    assert.match((await item.textContent()) ?? '', /Bob <b>x<\/b>/, 'the name as text');
    await item.getByTestId('settings-unblock').click();
    await page.getByTestId('settings-blocked-empty').waitFor();
    await until(async () => !session.blocking.isBlocked(bob.jid), 'unblocked on the server side');

    await page.goto(`${stack.url}/#chat/${bob.jid}`);
    await page.locator('#conversation').waitFor();
    assert.equal(await page.getByTestId('blocked-note').count(), 0, 'the note is gone');
    assert.equal(await row.getAttribute('data-blocked'), null);
    assert.deepEqual(await hits(), []);
    assert.deepEqual(dialogs, []);
  } finally {
    await phone.stop();
  }
});
