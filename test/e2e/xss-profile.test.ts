/**
 * vCard fields render as text: Bob (a real second XMPP account) puts XSS payloads into every field of his vCard,
 * batch after batch; Alice opens his profile in real Chromium, each field shows its payload verbatim, none executes,
 * no dialog opens, and only http/https websites become links.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '@xmpp/xml';
import type { Browser } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { launchBrowser, saveScreenshot, logInPage, watchedPage } from '../harness/browser.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';
import { NS_VCARD_TEMP, PROFILE_LIMITS } from '../../server/stanza/vcard.js';

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

/** One vCard's worth of payloads: each single field once, each list field (email, tel, url) up to the list bound. */
interface Batch {
  fn: string; nickname: string; org: string; title: string; bday: string; note: string; locality: string; country: string;
  emails: string[]; tels: string[]; urls: string[];
}
const SINGLE = ['fn', 'nickname', 'org', 'title', 'bday', 'note', 'locality', 'country'] as const;
const LISTS = ['emails', 'tels', 'urls'] as const;
const SLOTS = SINGLE.length + LISTS.length * PROFILE_LIMITS.listEntries;

/** Batch b puts payload (b + s) mod N in slot s: over N batches every payload lands in every slot, so in every field. */
function batch(payloads: string[], b: number): Batch {
  const at = (s: number) => payloads[(b + s) % payloads.length]!;
  const out = Object.fromEntries(SINGLE.map((k, i) => [k, at(i)])) as unknown as Batch;
  LISTS.forEach((k, j) => {
    out[k] = Array.from({ length: PROFILE_LIMITS.listEntries }, (_, i) => at(SINGLE.length + j * PROFILE_LIMITS.listEntries + i));
  });
  return out;
}

/** Bob's client sets his vCard the XEP-0054 way; Prosody keeps it as vCard4 in PEP. */
function vcardTempSet(v: Batch): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'vCard',
      { xmlns: NS_VCARD_TEMP },
      xml('FN', {}, v.fn),
      xml('NICKNAME', {}, v.nickname),
      ...v.emails.map((e) => xml('EMAIL', {}, xml('INTERNET'), xml('USERID', {}, e))),
      ...v.tels.map((t) => xml('TEL', {}, xml('VOICE'), xml('NUMBER', {}, t))),
      ...v.urls.map((u) => xml('URL', {}, u)),
      xml('ORG', {}, xml('ORGNAME', {}, v.org)),
      xml('TITLE', {}, v.title),
      xml('BDAY', {}, v.bday),
      xml('DESC', {}, v.note),
      xml('ADR', {}, xml('LOCALITY', {}, v.locality), xml('CTRY', {}, v.country)),
    ),
  );
}

interface Shown {
  fields: Record<string, string[]>;
  /** Elements inside the field values: only <a> in website values may exist. */
  nested: { key: string; tag: string; href: string | null; rel: string | null; target: string | null }[];
}

test('XSS payloads in every vCard field render as text and never run', async () => {
  const payloads = xssPayloads();
  assert.ok(payloads.length >= 100);
  assert.ok(payloads.every((p) => p.length <= PROFILE_LIMITS.shortChars && p === p.trim()), 'payloads arrive uncut and untrimmed');
  const alice = await stack.newUser('xpa');
  const bobUser = await stack.newUser('xpb');
  const bob = await XmppPeer.login(stack.prosody, bobUser.jid, bobUser.password);
  peers.push(bob);

  const { page, hits, dialogs } = await watchedPage(browser);
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#chat/${bob.conn.bareJid}`);
  await page.getByTestId('profile-open').waitFor();

  const panel = page.getByTestId('profile-panel');
  const loaded = page.locator(`[data-testid="profile-panel"][data-loaded="${bob.conn.bareJid}"]`);
  const t0 = performance.now();
  const seen = new Map<string, Set<string>>(); // field -> payloads shown verbatim there
  let links = 0;
  for (let b = 0; b < payloads.length; b++) {
    const v = batch(payloads, b);
    await bob.conn.iq(vcardTempSet(v));
    if (await panel.isHidden()) await page.getByTestId('profile-open').click();
    else await page.getByTestId('profile-refresh').click();
    await loaded.waitFor({ timeout: 10_000 });
    assert.equal(await panel.getAttribute('data-state'), 'found');

    const shown: Shown = await page.evaluate(() => {
      const fields: Record<string, string[]> = {};
      const nested: Shown['nested'] = [];
      for (const dd of document.querySelectorAll<HTMLElement>('[data-testid^="profile-field-"]')) {
        const key = dd.dataset.testid!.slice('profile-field-'.length);
        (fields[key] ??= []).push(dd.textContent ?? '');
        for (const el of dd.querySelectorAll('*')) {
          nested.push({ key, tag: el.tagName.toLowerCase(), href: el.getAttribute('href'), rel: el.getAttribute('rel'), target: el.getAttribute('target') });
        }
      }
      return { fields, nested };
    });
    const expected: Record<string, string[]> = {};
    for (const k of SINGLE) expected[k] = [v[k]];
    for (const k of LISTS) expected[k] = v[k];
    assert.deepEqual(shown.fields, expected, `batch ${b}: every field shows its payload verbatim, as text`);
    for (const n of shown.nested) {
      assert.equal(n.key, 'urls', `batch ${b}: no markup inside ${n.key}`);
      assert.equal(n.tag, 'a');
      assert.match(n.href ?? '', /^https?:\/\//, 'only http(s) links');
      assert.equal(n.rel, 'noopener noreferrer nofollow');
      assert.equal(n.target, '_blank');
      links++;
    }
    for (const [k, values] of Object.entries(shown.fields)) for (const value of values) (seen.get(k) ?? seen.set(k, new Set()).get(k)!).add(value);
    if (b % 20 === 0) assert.deepEqual(await hits(), [], `batch ${b}: no payload executed`);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${payloads.length} batches x ${SLOTS} field values in ${seconds.toFixed(1)} s (${links} of them http(s) links)`);

  for (const k of [...SINGLE, ...LISTS]) assert.equal(seen.get(k)?.size, payloads.length, `every payload was shown in ${k}`);

  // Websites that are real https URLs carrying markup become links whose text is still the text.
  const hostileLink = 'https://bob.example/"><img src=x onerror=xss(9001)>?q=<script>xss(9002)</script>';
  await bob.conn.iq(vcardTempSet({ ...batch(payloads, 0), urls: [hostileLink, 'javascript:xss(9003)', 'HTTP://bob.example/ok'] }));
  await page.getByTestId('profile-refresh').click();
  await loaded.waitFor({ timeout: 10_000 });
  const urls = page.getByTestId('profile-field-urls');
  assert.deepEqual(await urls.allTextContents(), [hostileLink, 'javascript:xss(9003)', 'HTTP://bob.example/ok']);
  assert.equal(await urls.nth(0).locator('a').getAttribute('href'), new URL(hostileLink).href);
  assert.equal(await urls.nth(1).locator('a').count(), 0, 'javascript: stays plain text');
  assert.equal(await urls.nth(2).locator('a').getAttribute('rel'), 'noopener noreferrer nofollow');
  // The open panel follows the conversation: a stranger's (here: non-existent) account shares nothing, said in words.
  const stranger = `nobody-${Date.now()}@${stack.prosody.domain}`;
  await page.goto(`${stack.url}/#chat/${stranger}`);
  await page.locator(`[data-testid="profile-panel"][data-loaded="${stranger}"]`).waitFor({ timeout: 10_000 });
  assert.equal(await panel.getAttribute('data-state'), 'forbidden');
  assert.equal(await page.getByTestId('profile-state').textContent(), 'No profile is shared with you.');
  assert.equal(await page.locator('[data-testid^="profile-field-"]').count(), 0);

  await page.waitForTimeout(500); // an onerror/onload or a meta refresh would have fired by now
  await saveScreenshot(page, 'e2e-xss-profile.png');
  assert.deepEqual(await hits(), [], 'no payload executed');
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.equal(new URL(page.url()).origin, stack.url, 'nothing navigated the page away');
});
