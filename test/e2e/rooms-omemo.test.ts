/**
 * OMEMO in a private group, in real Chromium: Parley account A with two tabs (one browser profile, two devices),
 * Profanity 0.13.1 (account P, driven in tmux) and the independent OMEMO peer (account R: libsignal-client 0.23.1) in
 * one members-only, non-anonymous room on the test Prosody, created by Parley's roomCreate ("private group").
 * - A's tab writes: Profanity and R decrypt it, A's other tab decrypts its copy, the sending tab shows its own text.
 * - Profanity writes, then R writes: both of A's tabs decrypt.
 * - An open, semi-anonymous channel: OMEMO is refused, the toggle is off and disabled, the room's reason shown.
 * Every stored row of the room is an <encrypted> element without the plaintext.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { TestStack, type LoggedIn } from '../harness/parley.js';
import { launchBrowser, saveScreenshot } from '../harness/browser.js';
import { ProfanityClient, prepareOmemoAccount } from '../harness/profanity.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { stepTimer } from '../harness/timings.js';
import { until } from '../harness/poll.js';

const PAGE_WAIT_MS = 20_000;
let stack: TestStack;
let browser: Browser;
let profanity: ProfanityClient;
let rita: OmemoPeer;
let ann: LoggedIn;
let pat: { jid: string; password: string };
const { timings, timed } = stepTimer();

interface Tab {
  page: Page;
  deviceId: number;
  errors: string[];
  consoleLines: string[];
}

before(async () => {
  await timed('stack, Chromium, Profanity and the reference peer', async () => {
    stack = await TestStack.start({ prosody: { muc: true } });
    const chromium = launchBrowser().then((b) => (browser = b));
    pat = await stack.newUser('pat');
    const r = await stack.newUser('rita');
    await prepareOmemoAccount(stack.server, pat.jid, pat.password);
    profanity = await ProfanityClient.start({ ...pat, host: '127.0.0.1', port: stack.server.c2sPort });
    // Not contacts of anyone here: Profanity's bundle is opened (the NOTES.md interop step), Parley's and R's are open.
    await profanity.omemoSetup({ openBundle: true });
    rita = await OmemoPeer.start(stack.server, r.jid, r.password);
    ann = await stack.loggedIn('ann');
    await chromium;
  });
});

after(async () => {
  await profanity?.stop().catch(() => undefined);
  await rita?.stop().catch(() => undefined);
  await browser?.close();
  await stack?.close();
  console.log('rooms-omemo e2e timings (ms):', JSON.stringify(timings));
});

async function tabOf(page: Page): Promise<Tab> {
  const tab: Tab = { page, deviceId: 0, errors: [], consoleLines: [] };
  page.on('pageerror', (e) => tab.errors.push(e.message));
  page.on('console', (m) => tab.consoleLines.push(`[${m.type()}] ${m.text()}`));
  return tab;
}

async function waitForDevice(tab: Tab): Promise<void> {
  await tab.page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: PAGE_WAIT_MS });
  tab.deviceId = Number(await tab.page.evaluate(() => document.body.dataset.omemoDevice));
}

/** Both tabs of one browser profile (one context): shared IndexedDB, one device each. */
async function twoTabs(): Promise<[Tab, Tab]> {
  const context = await browser.newContext();
  const t1 = await tabOf(await context.newPage());
  await t1.page.goto(`${stack.url}/login`);
  await t1.page.getByTestId('login-jid').fill(ann.jid);
  await t1.page.getByTestId('login-password').fill(ann.password);
  await t1.page.getByTestId('login-submit').click();
  await t1.page.waitForURL(`${stack.url}/`);
  await waitForDevice(t1);
  const t2 = await tabOf(await context.newPage());
  await t2.page.goto(`${stack.url}/`);
  await waitForDevice(t2);
  assert.notEqual(t1.deviceId, t2.deviceId, 'each tab its own OMEMO device');
  return [t1, t2];
}

async function tabState(tab: Tab): Promise<string> {
  const dom = await tab.page
    .evaluate(() => ({
      url: location.href,
      device: document.body.dataset.omemoDevice ?? null,
      toggle: document.querySelector('[data-testid="encryption-toggle"]')?.getAttribute('aria-pressed') ?? null,
      error: document.getElementById('composer-error')?.textContent ?? null,
      messages: [...document.querySelectorAll<HTMLElement>('[data-testid="message"]')].map(
        (m) => `${m.dataset.direction} encryption=${m.dataset.encryption ?? '-'}: ${m.querySelector('[data-testid="message-body"]')?.textContent ?? ''}`,
      ),
    }))
    .catch((e: unknown) => ({ error: String(e) }));
  return `--- tab ${tab.deviceId} ---\n${JSON.stringify(dom, null, 1)}\n--- console (tail) ---\n${tab.consoleLines.slice(-10).join('\n')}\n--- page errors ---\n${tab.errors.join('\n')}`;
}

async function step<T>(what: string, tabs: Tab[], fn: () => Promise<T>): Promise<T> {
  try {
    return await timed(what, fn);
  } catch (e) {
    const states = await Promise.all(tabs.map(tabState));
    const screen = (await profanity.screen().catch(() => '')).split('\n').map((l) => l.trimEnd()).filter(Boolean).join('\n');
    await saveScreenshot(tabs[0]!.page, 'rooms-omemo-failure').catch(() => undefined);
    throw new Error(`${what} failed: ${e instanceof Error ? e.message : String(e)}\n${states.join('\n')}\n--- Profanity ---\n${screen}\n--- R failures ---\n${JSON.stringify(rita.failures.map((f) => f.error))}`);
  }
}

async function shows(tab: Tab, text: string): Promise<void> {
  await tab.page
    .locator('[data-testid="message"][data-encryption="ok"]')
    .filter({ has: tab.page.getByTestId('message-body').getByText(text, { exact: true }) })
    .waitFor({ timeout: PAGE_WAIT_MS });
}

async function sends(tab: Tab, text: string): Promise<void> {
  // On by itself: a private group where every member publishes devices.
  await tab.page.getByTestId('encryption-toggle').and(tab.page.locator('[aria-pressed="true"]')).waitFor({ timeout: PAGE_WAIT_MS });
  await tab.page.getByTestId('composer-input').fill(text);
  await tab.page.getByTestId('composer-input').press('Enter');
}

test('a private group: Parley (two tabs), Profanity and the reference peer read each other over OMEMO', async () => {
  const room = `family-${randomUUID().slice(0, 8)}@${stack.prosody.mucDomain}`;
  const created = await ann.tab.command('roomCreate', { room, preset: 'group', name: 'Family', nick: 'Ann', members: [pat.jid, rita.jid] });
  assert.deepEqual(created.room.omemo, { allowed: true, reason: null });
  // The tabs' devices first: Profanity reads an occupant's device list when it joins and, not being Ann's contact,
  // gets no PEP notification of later changes (it then reports "Can't find a OMEMO device id").
  const [t1, t2] = await timed('two tabs of one browser', twoTabs);
  await timed('R and Profanity join, Profanity /omemo start', async () => {
    await rita.joinRoom(room, 'Rita');
    await profanity.joinRoom(room, 'Pat');
    await profanity.startOmemoInRoom(room);
  });
  await Promise.all([t1, t2].map((t) => t.page.goto(`${stack.url}/#chat/${room}`)));
  const plaintexts: string[] = [];

  const fromTab = `hello family from Chromium ✓ ${randomUUID().slice(0, 8)}`;
  plaintexts.push(fromTab);
  await step('tab 1 -> the group (Profanity, R, tab 2, tab 1 itself)', [t1, t2], async () => {
    await sends(t1, fromTab);
    await profanity.waitForRoomMessage(room, 'Ann', fromTab);
    const atRita = await rita.waitForDecrypted((m) => m.text === fromTab, PAGE_WAIT_MS);
    assert.deepEqual([atRita.from, atRita.room, atRita.nick, atRita.senderDeviceId], [ann.jid, room, 'Ann', t1.deviceId]);
    await shows(t2, fromTab);
    await shows(t1, fromTab);
  });

  const fromPat = `hello from Profanity ${randomUUID().slice(0, 8)}`;
  plaintexts.push(fromPat);
  await step('Profanity -> the group (both tabs, R)', [t1, t2], async () => {
    await profanity.sendInRoom(room, fromPat);
    await Promise.all([shows(t1, fromPat), shows(t2, fromPat)]);
    assert.equal((await rita.waitForDecrypted((m) => m.text === fromPat, PAGE_WAIT_MS)).from, pat.jid);
  });

  const fromRita = `hello from the reference peer ${randomUUID().slice(0, 8)}`;
  plaintexts.push(fromRita);
  await step('R -> the group (both tabs, Profanity)', [t1, t2], async () => {
    await rita.sendEncryptedToRoom(room, [ann.jid, pat.jid], fromRita);
    await Promise.all([shows(t1, fromRita), shows(t2, fromRita)]);
    await profanity.waitForRoomMessage(room, 'Rita', fromRita);
  });

  // Follow-ups on established sessions, from the other tab this time.
  const again = `and from tab 2 ${randomUUID().slice(0, 8)}`;
  plaintexts.push(again);
  await step('tab 2 -> the group', [t2, t1], async () => {
    await sends(t2, again);
    await profanity.waitForRoomMessage(room, 'Ann', again);
    await rita.waitForDecrypted((m) => m.text === again, PAGE_WAIT_MS);
    await shows(t1, again);
  });

  const rows = await stack.parley.stores.messages.page(ann.accountId, room, { limit: 50 });
  assert.equal(rows.length, 4, `the room's rows: ${rows.map((r) => `${r.direction} ${r.nick}`).join(', ')}`);
  for (const row of rows) {
    assert.match(row.encrypted ?? '', /^<encrypted xmlns=["']eu\.siacs\.conversations\.axolotl["']/);
    for (const p of plaintexts) assert.ok(!`${row.body ?? ''}${row.encrypted}`.includes(p), `plaintext stored in row ${row.id}`);
  }
  assert.deepEqual([...t1.errors, ...t2.errors], [], 'no page errors');
});

test('an open, semi-anonymous channel: OMEMO is refused, the toggle disabled and the room\'s reason shown', async () => {
  const channel = `open-${randomUUID().slice(0, 8)}@${stack.prosody.mucDomain}`;
  const created = await ann.tab.command('roomCreate', { room: channel, preset: 'channel', nick: 'Ann' });
  assert.equal(created.room.omemo.allowed, false);
  const reason = created.room.omemo.reason ?? '';
  assert.match(reason, /non-anonymous/);
  const page = await (await browser.newContext()).newPage();
  const tab = await tabOf(page);
  await page.goto(`${stack.url}/login`);
  await page.getByTestId('login-jid').fill(ann.jid);
  await page.getByTestId('login-password').fill(ann.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(`${stack.url}/`);
  await waitForDevice(tab);
  // The user's earlier choice for this address does not override the room's refusal.
  await page.evaluate((jid) => localStorage.setItem(`parley.encryption.${jid}`, 'on'), channel);
  await page.goto(`${stack.url}/#chat/${channel}`);
  await step('the refusal is shown', [tab], async () => {
    await page.getByTestId('encryption-refused').getByText(reason, { exact: true }).waitFor({ timeout: PAGE_WAIT_MS });
    const toggle = page.getByTestId('encryption-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.equal(await toggle.isDisabled(), true);
  });
  // A message goes in clear, as the toggle says.
  const text = `plain in the channel ${randomUUID().slice(0, 8)}`;
  await page.getByTestId('composer-input').fill(text);
  await page.getByTestId('composer-input').press('Enter');
  await step('the plain message is stored in clear', [tab], async () => {
    const row = await until(async () => (await stack.parley.stores.messages.page(ann.accountId, channel, { limit: 10 })).find((r) => r.body === text), 'the plain row', PAGE_WAIT_MS);
    assert.equal(row.encrypted, null);
  });
});
