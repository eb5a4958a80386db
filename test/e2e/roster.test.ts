/**
 * The roster in real Chromium against Prosody: contacts grouped and filtered, a contact added with a name and groups,
 * renamed and moved from the profile panel, another client's roster push appearing live, and a subscription request
 * (with its XEP-0172 nickname, rendered as text) approved in one tab and gone from the other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '@xmpp/xml';
import type { Page } from 'playwright-core';
import { logInPage } from '../harness/browser.js';
import { e2eStack } from '../harness/e2e.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { until } from '../harness/poll.js';

const e2e = e2eStack();

const rosterSet = (jid: string, name: string, groups: string[]) =>
  xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid, name }, ...groups.map((g) => xml('group', {}, g)))));

const contactRow = (page: Page, jid: string) => page.locator(`[data-testid="contact"][data-jid="${jid}"]`);
const groupHeader = (page: Page, group: string) => page.locator(`[data-testid="contact-group"][data-group="${group}"]`);

/** The group header a contact row sits under (the nearest header above it in the list). */
const groupOf = (page: Page, jid: string) =>
  page.evaluate((j) => {
    const items = [...document.querySelectorAll('[data-testid="contact-list"] > *')];
    const at = items.findIndex((li) => li.querySelector(`[data-testid="contact"][data-jid="${j}"]`));
    for (let i = at; i >= 0; i--) {
      const header = items[i]!.querySelector<HTMLElement>('[data-testid="contact-group"]');
      if (header) return header.dataset.group ?? null;
    }
    return null;
  }, jid);

test('contacts grouped, filtered, added with groups, renamed and moved; another client’s push shows live; a request is approved in one tab and gone in the other', async () => {
  const { stack, browser } = e2e;
  const alice = await stack.newUser('rosteralice');
  const dave = await stack.newUser('rosterdave');
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const errors: string[] = [];
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await logInPage(page, stack.url, alice.jid, alice.password);
  const second = await context.newPage();
  second.on('pageerror', (e) => errors.push(e.message));
  await second.goto(`${stack.url}/`);

  // Alice's other client (a raw XMPP client of the same account) files Carol under Work: both tabs show it live.
  const other = await XmppPeer.login(stack.server, alice.jid, alice.password);
  await other.conn.iq(rosterSet('carol@example.net', 'Carol', ['Work']));
  for (const p of [page, second]) await contactRow(p, 'carol@example.net').waitFor();
  assert.equal(await groupOf(page, 'carol@example.net'), 'Work');
  assert.equal(await groupHeader(page, 'Work').locator('.contact-group-count').textContent(), '1');

  // Added from the sidebar with a name and two groups: the row is under both, and the other client sees the item.
  const pushes: Element[] = [];
  other.conn.onIq('set', 'jabber:iq:roster', (iq) => {
    pushes.push(iq);
    return xml('iq', { type: 'result' });
  });
  await other.conn.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  await page.getByTestId('add-contact-jid').fill('erin@example.net');
  await page.getByTestId('add-contact-name').fill('Erin <b>bold</b>');
  await page.getByTestId('add-contact-groups').fill('Family, Work');
  await page.getByTestId('add-contact-submit').click();
  const erin = contactRow(page, 'erin@example.net');
  // One row under each of its groups.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="contact"][data-jid="erin@example.net"]').length === 2);
  assert.equal(await erin.first().locator('.contact-name').textContent(), 'Erin <b>bold</b>', 'the name is text');
  assert.equal(await page.locator('.contact-name b').count(), 0);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="contact-group"][data-group="Work"] .contact-group-count')[0]?.textContent === '2');
  const pushed = await until(async () => pushes.map((p) => p.getChild('query')!.getChild('item')!).find((i) => i.attrs.jid === 'erin@example.net'), 'the other client got the push');
  assert.deepEqual(pushed.getChildren('group').map((g) => g.text()).sort(), ['Family', 'Work']);

  // The filter matches names and addresses, case- and accent-insensitively; Escape clears it.
  const filter = page.getByTestId('roster-filter');
  await filter.fill('CÄROL');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="contact"]').length === 1);
  assert.equal(await contactRow(page, 'carol@example.net').count(), 1);
  await filter.fill('erin@');
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('[data-testid="contact"]')].every((a) => a.dataset.jid === 'erin@example.net'));
  await filter.fill('nobody-matches-this');
  await page.getByTestId('roster-empty').waitFor();
  await filter.press('Escape');
  await contactRow(page, 'carol@example.net').waitFor();

  // A collapsed group hides its rows (and says so to assistive technology); expanded again, they are back.
  await groupHeader(page, 'Work').click();
  assert.equal(await groupHeader(page, 'Work').getAttribute('aria-expanded'), 'false');
  await contactRow(page, 'carol@example.net').waitFor({ state: 'detached' });
  await groupHeader(page, 'Work').click();
  await contactRow(page, 'carol@example.net').waitFor();

  // Renamed and moved from the profile panel: every tab follows.
  await contactRow(page, 'carol@example.net').click();
  await page.getByTestId('profile-open').click();
  await page.getByTestId('contact-name').fill('Caroline');
  await page.getByTestId('contact-groups').fill('Friends');
  await page.getByTestId('contact-save').click();
  for (const p of [page, second]) {
    await p.waitForFunction(() => document.querySelector('[data-testid="contact"][data-jid="carol@example.net"] .contact-name')?.textContent === 'Caroline');
    assert.equal(await groupOf(p, 'carol@example.net'), 'Friends');
  }

  // Dave asks to see Alice's presence, with a nickname that looks like markup: both tabs show the request as text.
  const daveClient = await XmppPeer.login(stack.server, dave.jid, dave.password);
  const daveGot: Element[] = [];
  daveClient.conn.on('stanza', (el: Element) => {
    if (el.name === 'presence') daveGot.push(el);
  });
  await daveClient.conn.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  await daveClient.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }, xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Dave <img src=x>')));
  for (const p of [page, second]) {
    const request = p.locator(`[data-testid="subscription-request"][data-jid="${dave.jid}"]`);
    await request.waitFor();
    assert.equal(await request.locator('.subscription-request-nick').textContent(), 'Dave <img src=x>');
    assert.equal(await request.locator('img').count(), 0);
  }
  await page.locator(`[data-testid="subscription-request"][data-jid="${dave.jid}"] [data-testid="subscription-approve"]`).click();
  await second.locator(`[data-testid="subscription-request"][data-jid="${dave.jid}"]`).waitFor({ state: 'detached' });
  await page.getByTestId('subscription-requests').waitFor({ state: 'detached' });
  await until(async () => daveGot.find((p) => p.attrs.type === 'subscribed' && p.attrs.from?.startsWith(alice.jid)), 'Dave is told yes');

  assert.deepEqual(errors, []);
  await daveClient.stop();
  await other.stop();
  await context.close();
});
