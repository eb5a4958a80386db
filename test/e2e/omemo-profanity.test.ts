/**
 * OMEMO interop with an independent, real client: a Parley tab in Chromium (Alice) and Profanity 0.13.1
 * (Debian, libsignal-protocol-c) driven in tmux (Bob), mutual contacts on the test Prosody. One encrypted
 * exchange each way, the first (PreKey) message and a follow-up on the established session in both
 * directions; the server only ever stores ciphertext.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { launchBrowser, saveScreenshot } from '../harness/browser.js';
import { ProfanityClient, makeMutualContacts, prepareOmemoAccount } from '../harness/profanity.js';

const AXOLOTL = 'eu.siacs.conversations.axolotl';
/** Each wait on the Parley side; Profanity's own waits are bounded by its harness (20 s). */
const PAGE_WAIT_MS = 20_000;

let stack: TestStack;
let browser: Browser;
let bob: ProfanityClient | null = null;
const timings: Record<string, number> = {};

before(async () => {
  [stack, browser] = await Promise.all([TestStack.start(), launchBrowser()]);
});
after(async () => {
  await bob?.stop().catch(() => {});
  await browser?.close();
  await stack?.close();
  console.log('omemo-profanity timings (ms):', JSON.stringify(timings));
});

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = Math.round(performance.now() - t0);
  }
}

/** Everything the tab shows about its messages and its device, for failure messages. */
async function parleyState(page: Page, consoleLines: string[]): Promise<string> {
  const dom = await page
    .evaluate(() => {
      const items = [...document.querySelectorAll<HTMLElement>('[data-testid="message"]')];
      return {
        url: location.href,
        device: document.body.dataset.omemoDevice ?? null,
        toggle: document.querySelector('[data-testid="encryption-toggle"]')?.getAttribute('aria-pressed') ?? null,
        messages: items.map((m) => `${m.dataset.direction} state=${m.dataset.state} enc=${m.dataset.encryption ?? '-'}: ${m.querySelector('[data-testid="message-body"]')?.textContent ?? ''}`),
      };
    })
    .catch((e: unknown) => ({ error: String(e) }));
  return `--- Parley tab ---\n${JSON.stringify(dom, null, 1)}\n--- tab console (tail) ---\n${consoleLines.slice(-15).join('\n')}`;
}

async function profanityState(): Promise<string> {
  if (!bob) return '(no Profanity)';
  const screen = (await bob.screen().catch((e: unknown) => String(e))).split('\n').map((l) => l.trimEnd()).filter(Boolean).join('\n');
  const log = (await bob.log()).split('\n').filter((l) => l.includes('OMEMO')).slice(-15).join('\n');
  return `--- Profanity screen ---\n${screen}\n--- profanity.log (OMEMO lines, tail) ---\n${log}`;
}

/** Runs one step; when it fails, the error carries both clients' state. */
async function step<T>(what: string, page: Page, consoleLines: string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await timed(what, fn);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`${what} failed: ${reason}\n${await parleyState(page, consoleLines)}\n${await profanityState()}`);
  }
}

async function waitForBodyText(page: Page, text: string): Promise<void> {
  await page
    .locator('[data-testid="message"][data-encryption="ok"]')
    .filter({ has: page.getByTestId('message-body').getByText(text, { exact: true }) })
    .waitFor({ timeout: PAGE_WAIT_MS });
}

async function sendFromTab(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer-input').fill(text);
  await page.getByTestId('composer-input').press('Enter');
}

test('a Chromium tab and Profanity 0.13.1 exchange OMEMO messages both ways; the server stores no plaintext', async () => {
  const alice = await stack.newUser('pa');
  const bobUser = await stack.newUser('pb');
  // Profanity needs an existing devicelist node to publish into, and publishes its bundle with the default
  // (presence) access model: mutual contacts can read each other's nodes.
  await prepareOmemoAccount(stack.prosody, bobUser.jid, bobUser.password);
  await makeMutualContacts(stack.prosody, alice, bobUser);

  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  const consoleLines: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));

  const loginTab = async () => {
    await page.goto(`${stack.url}/login`);
    await page.getByTestId('login-jid').fill(alice.jid);
    await page.getByTestId('login-password').fill(alice.password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(`${stack.url}/`);
    await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: PAGE_WAIT_MS });
    return Number(await page.evaluate(() => document.body.dataset.omemoDevice));
  };
  const startProfanity = async () => {
    bob = await ProfanityClient.start({ ...bobUser, host: '127.0.0.1', port: stack.prosody.c2sPort });
    return bob.omemoSetup();
  };
  const [tabDevice, bobOmemo] = await step('tab login + Profanity start and OMEMO set-up (parallel)', page, consoleLines, () =>
    Promise.all([loginTab(), startProfanity()]),
  );
  assert.ok(tabDevice > 0 && bobOmemo.deviceId > 0);
  const prof = bob!;

  await page.goto(`${stack.url}/#chat/${bobUser.jid}`);
  // Encryption turns on by itself once the tab knows Bob's (Profanity's) device.
  await step('encryption toggle on for Bob', page, consoleLines, () =>
    page.getByTestId('encryption-toggle').and(page.locator('[aria-pressed="true"]')).waitFor({ timeout: PAGE_WAIT_MS }),
  );

  // (1) Parley -> Profanity: the first message is a PreKeySignalMessage, then one on the established session.
  const first = `hello Profanity from Chromium ${randomUUID()}`;
  await step('first message tab -> Profanity', page, consoleLines, async () => {
    await sendFromTab(page, first);
    await prof.waitForMessage(alice.jid, first); // "~": Profanity decrypted it
  });

  // (2) Profanity -> Parley.
  await step('Profanity /omemo start', page, consoleLines, () => prof.startOmemo(alice.jid));
  const reply = `reply from Profanity ${randomUUID()}`;
  await step('first message Profanity -> tab', page, consoleLines, async () => {
    await prof.send(alice.jid, reply);
    await waitForBodyText(page, reply);
  });

  const second = `follow-up from Chromium ${randomUUID()}`;
  await step('follow-up tab -> Profanity', page, consoleLines, async () => {
    await sendFromTab(page, second);
    await prof.waitForMessage(alice.jid, second);
  });
  const secondReply = `follow-up from Profanity ${randomUUID()}`;
  await step('follow-up Profanity -> tab', page, consoleLines, async () => {
    await prof.send(alice.jid, secondReply);
    await waitForBodyText(page, secondReply);
  });
  // The sending tab shows its own texts (kept at send time: OMEMO does not encrypt to the sending device).
  for (const own of [first, second]) await waitForBodyText(page, own);

  // Server side: four rows, each an OMEMO <encrypted> element, none holding any of the plaintexts.
  const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
  const all = [first, reply, second, secondReply];
  const deadline = Date.now() + 10_000;
  let stored = await stack.parley.stores.messages.page(session.accountId, bobUser.jid, { limit: 20 });
  while (stored.length < all.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    stored = await stack.parley.stores.messages.page(session.accountId, bobUser.jid, { limit: 20 });
  }
  assert.equal(stored.length, all.length, `stored rows: ${JSON.stringify(stored, null, 1)}`);
  assert.deepEqual(stored.map((r) => r.direction).sort(), ['in', 'in', 'out', 'out']);
  for (const row of stored) {
    assert.match(row.encrypted ?? '', new RegExp(`^<encrypted xmlns=["']${AXOLOTL}["']`), `row ${row.id} carries an <encrypted> element`);
    assert.match(row.encrypted ?? '', /<payload>/, `row ${row.id} has a payload`);
    for (const plain of all) assert.equal(`${row.body} ${row.encrypted}`.includes(plain), false, `plaintext on the server in row ${row.id}`);
  }

  await saveScreenshot(page, 'e2e-omemo-profanity.png');
  assert.deepEqual(errors, []);
});
