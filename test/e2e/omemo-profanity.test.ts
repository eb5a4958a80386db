/**
 * OMEMO interop with an independent, real client: Parley tabs in Chromium and Profanity 0.13.1 (Debian,
 * libsignal-protocol-c) driven in tmux (Bob), on each test server. Profanity's bundle has the presence access model
 * (contacts only; the harness makes sure of it, see omemoSetup), so its peers are mutual contacts, as in real life.
 * 1. The tab writes first (PreKey messages to Profanity), Profanity replies, a follow-up each way.
 * 2. Profanity writes first (PreKey messages to a tab), the tab replies, a follow-up each way; then a new tab of the
 *    same browser reads what Profanity sent while no tab was open.
 * 3. A stranger (not Bob's contact) cannot read Profanity's bundle: nothing is sent, the tab says why.
 * 4. Profanity and a Parley tab on the same account: carbons both ways; a stranger's message reaches only the tab and
 *    the stranger is told.
 * Every stored row is an <encrypted> element without plaintext; prekey="true" only until the peer has answered.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { launchBrowser, saveScreenshot } from '../harness/browser.js';
import { ProfanityClient, makeMutualContacts, omemoBundleNode, prepareOmemoAccount } from '../harness/profanity.js';
import { RawXmpp, child, pepItems } from '../harness/xmpp-raw.js';
import type { MessageRow } from '../../server/store/messages.js';
import { stepTimer } from '../harness/timings.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

const AXOLOTL = 'eu.siacs.conversations.axolotl';
/** Each wait on the Parley side; Profanity's own waits are bounded by its harness (20 s). */
const PAGE_WAIT_MS = 20_000;

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let browser: Browser;
  let bob: ProfanityClient;
  let bobUser: { jid: string; password: string };
  let bobDevice = 0;
  const { timings, timed } = stepTimer();

  before(async () => {
    const startStack = async () => {
      stack = await TestStack.start({ server: kind });
      bobUser = await stack.newUser('pb');
      // Profanity needs an existing devicelist node to publish into (see the harness). Its bundle keeps the default
      // (presence) access model Prosody gives it, as in real life: its peers below are made mutual contacts.
      await prepareOmemoAccount(stack.server, bobUser.jid, bobUser.password);
      bob = await ProfanityClient.start({ ...bobUser, host: '127.0.0.1', port: stack.server.c2sPort });
      bobDevice = (await bob.omemoSetup({ openBundle: false })).deviceId;
    };
    await timed('stack + Profanity start and OMEMO set-up, Chromium launch (parallel)', () =>
      Promise.all([startStack(), launchBrowser().then((b) => (browser = b))]),
    );
  });
  after(async () => {
    await bob?.stop().catch(() => {});
    await browser?.close();
    await stack?.close();
    console.log('omemo-profanity timings (ms):', JSON.stringify(timings));
  });

  /** A logged-in Parley tab in its own browser context (own IndexedDB: its own OMEMO device). */
  interface Tab {
    page: Page;
    jid: string;
    deviceId: number;
    errors: string[];
    consoleLines: string[];
  }

  async function openTab(user: { jid: string; password: string }): Promise<Tab> {
    const page = await (await browser.newContext()).newPage();
    const tab: Tab = { page, jid: user.jid, deviceId: 0, errors: [], consoleLines: [] };
    page.on('pageerror', (e) => tab.errors.push(e.message));
    page.on('console', (m) => tab.consoleLines.push(`[${m.type()}] ${m.text()}`));
    await page.goto(`${stack.url}/login`);
    await page.getByTestId('login-jid').fill(user.jid);
    await page.getByTestId('login-password').fill(user.password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(`${stack.url}/`);
    // The tab's device is up once it has announced itself (its id lands on <body>).
    await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: PAGE_WAIT_MS });
    tab.deviceId = Number(await page.evaluate(() => document.body.dataset.omemoDevice));
    return tab;
  }

  /** Everything the tab shows about its messages and its device, for failure messages. */
  async function parleyState(tab: Tab): Promise<string> {
    const dom = await tab.page
      .evaluate(() => ({
        url: location.href,
        device: document.body.dataset.omemoDevice ?? null,
        encryptionToggle: document.querySelector('[data-testid="encryption-toggle"]')?.getAttribute('aria-pressed') ?? null,
        messages: [...document.querySelectorAll<HTMLElement>('[data-testid="message"]')].map(
          (m) => `${m.dataset.direction} state=${m.dataset.state} encryption=${m.dataset.encryption ?? '-'}: ${m.querySelector('[data-testid="message-body"]')?.textContent ?? ''}`,
        ),
      }))
      .catch((e: unknown) => ({ error: String(e) }));
    const session = stack.parley.sessions.sessions().find((s) => s.jid === tab.jid);
    const rows = session ? await storedRows(session.accountId).catch((e: unknown) => String(e)) : '(no session)';
    const rowText = typeof rows === 'string' ? rows : rows.map((r) => `${r.direction} ${r.state} ${r.encrypted ? keySummary(r.encrypted) : `PLAIN ${r.body}`}`).join('\n');
    return `--- Parley tab of ${tab.jid} ---\n${JSON.stringify(dom, null, 1)}\n--- tab console (tail) ---\n${tab.consoleLines.slice(-15).join('\n')}\n--- stored rows with ${bobUser.jid} ---\n${rowText}`;
  }

  async function profanityState(): Promise<string> {
    const screen = (await bob.screen().catch((e: unknown) => String(e))).split('\n').map((l) => l.trimEnd()).filter(Boolean).join('\n');
    // Start-up noise (missing trust.txt, GLib warnings) says nothing about the exchange.
    const useful = (l: string) => /\[OMEMO\]|prof: ERR/.test(l) && !l.includes('trust.txt');
    const log = (await bob.log()).split('\n').filter(useful).slice(-15).join('\n');
    return `--- Profanity screen ---\n${screen}\n--- profanity.log (OMEMO and error lines, tail; PARLEY_PROFANITY_LOG=DEBUG logs every stanza) ---\n${log}`;
  }

  /** Runs one step; when it fails, the error carries both clients' state. */
  async function step<T>(what: string, tab: Tab, fn: () => Promise<T>): Promise<T> {
    try {
      return await timed(what, fn);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new Error(`${what} failed: ${reason}\n${await parleyState(tab)}\n${await profanityState()}`);
    }
  }

  /** Waits until the tab shows `text` as a decrypted OMEMO message. */
  async function tabShows(tab: Tab, text: string): Promise<void> {
    await tab.page
      .locator('[data-testid="message"][data-encryption="ok"]')
      .filter({ has: tab.page.getByTestId('message-body').getByText(text, { exact: true }) })
      .waitFor({ timeout: PAGE_WAIT_MS });
  }

  async function tabSends(tab: Tab, text: string): Promise<void> {
    // Encryption is on by itself once the tab knows Bob's (Profanity's) device; a plaintext send would fail below.
    await tab.page.getByTestId('encryption-toggle').and(tab.page.locator('[aria-pressed="true"]')).waitFor({ timeout: PAGE_WAIT_MS });
    await tab.page.getByTestId('composer-input').fill(text);
    await tab.page.getByTestId('composer-input').press('Enter');
  }

  async function storedRows(accountId: string): Promise<MessageRow[]> {
    const rows = await stack.parley.stores.messages.page(accountId, bobUser.jid, { limit: 50 });
    return rows.reverse(); // oldest first
  }

  /** rid -> prekey flag of every <key/> in an <encrypted> element as stored. */
  function keysOf(encrypted: string): Map<number, boolean> {
    const keys = new Map<number, boolean>();
    for (const m of encrypted.matchAll(/<key\b([^>]*)>/g)) {
      const attrs = Object.fromEntries([...(m[1] ?? '').matchAll(/([\w:-]+)=["']([^"']*)["']/g)].map((a) => [a[1], a[2]]));
      keys.set(Number(attrs.rid), attrs.prekey === 'true' || attrs.prekey === '1');
    }
    return keys;
  }
  const keySummary = (encrypted: string) =>
    `sid=${/sid=["'](\d+)/.exec(encrypted)?.[1]} keys=${[...keysOf(encrypted)].map(([rid, pre]) => `${rid}${pre ? '(prekey)' : ''}`).join(',')}`;

  /**
   * The server's rows of the conversation with Bob, oldest first, once all `expected` are stored: each an OMEMO
   * <encrypted> element with the given direction, sender device and prekey flag for the recipient device, none
   * holding any plaintext of the conversation.
   */
  async function assertStoredEncrypted(
    tab: Tab,
    expected: { direction: 'in' | 'out'; sid: number; rid: number; prekey: boolean }[],
    plaintexts: string[],
  ): Promise<void> {
    const session = stack.parley.sessions.sessions().find((s) => s.jid === tab.jid);
    assert.ok(session, `a Parley session for ${tab.jid}`);
    const deadline = Date.now() + 10_000;
    let rows = await storedRows(session.accountId);
    while (rows.length < expected.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await storedRows(session.accountId);
    }
    const summary = rows.map((r) => `${r.direction} ${r.encrypted ? keySummary(r.encrypted) : `PLAIN ${r.body}`}`).join('\n');
    assert.equal(rows.length, expected.length, `stored rows:\n${summary}`);
    rows.forEach((row, i) => {
      const want = expected[i]!;
      const enc = row.encrypted ?? '';
      assert.equal(row.direction, want.direction, `row ${i} direction\n${summary}`);
      assert.match(enc, new RegExp(`^<encrypted xmlns=["']${AXOLOTL}["']`), `row ${i} is an OMEMO <encrypted> element\n${summary}`);
      assert.match(enc, /<payload>[A-Za-z0-9+/=\s]+<\/payload>/, `row ${i} has a payload`);
      assert.equal(Number(/<header\b[^>]*\bsid=["'](\d+)/.exec(enc)?.[1]), want.sid, `row ${i} sender device\n${summary}`);
      assert.equal(keysOf(enc).get(want.rid), want.prekey, `row ${i}: key for device ${want.rid} with prekey=${want.prekey}\n${summary}`);
      for (const plain of plaintexts) assert.equal(`${row.body ?? ''} ${enc}`.includes(plain), false, `plaintext on the server in row ${i}`);
    });
  }

  /** The fingerprint (64 hex digits) of `deviceId` of `jid`, from the bundle the server holds. */
  async function publishedFingerprint(jid: string, deviceId: number): Promise<string> {
    const raw = await RawXmpp.login({ host: '127.0.0.1', port: stack.server.c2sPort, jid: bobUser.jid, password: bobUser.password, resource: 'probe' });
    try {
      const [item] = await pepItems(raw, jid, omemoBundleNode(deviceId));
      const key = child(child(item!, 'bundle', AXOLOTL)!, 'identityKey')?.text ?? '';
      const bytes = Buffer.from(key.replace(/\s+/g, ''), 'base64');
      assert.equal(bytes.length, 33, 'identity key of 33 bytes (0x05 prefix)');
      return bytes.subarray(1).toString('hex');
    } finally {
      await raw.close();
    }
  }

  test('the tab writes first: its PreKey message, Profanity\'s reply and a follow-up each way are decrypted', async () => {
    const alice = await stack.newUser('pa');
    await makeMutualContacts(stack.server, alice, bobUser);
    const tab = await timed('tab login', () => openTab(alice));
    await tab.page.goto(`${stack.url}/#chat/${bobUser.jid}`);

    // (1) Parley -> Profanity: a PreKeySignalMessage; Profanity shows it with its OMEMO marker "~".
    const first = `hello Profanity from Chromium, grüße ✓ 😀 ${randomUUID()}`;
    await step('first message tab -> Profanity', tab, async () => {
      await tabSends(tab, first);
      await bob.waitForMessage(alice.jid, first);
    });
    // Until Profanity answers, the tab keeps sending PreKey messages; Profanity must read the second one too.
    const firstAgain = `second before any reply ${randomUUID()}`;
    await step('second PreKey message tab -> Profanity', tab, async () => {
      await tabSends(tab, firstAgain);
      await bob.waitForMessage(alice.jid, firstAgain);
    });
    // Profanity now holds the identity the tab published.
    await step('Profanity knows the tab\'s identity key', tab, async () =>
      bob.waitForPeerFingerprint(alice.jid, await publishedFingerprint(alice.jid, tab.deviceId)),
    );

    // (2) Profanity -> Parley, with /omemo start.
    await step('Profanity /omemo start', tab, () => bob.startOmemo(alice.jid));
    const reply = `reply from Profanity ${randomUUID()}`;
    await step('reply Profanity -> tab', tab, async () => {
      await bob.send(alice.jid, reply);
      await tabShows(tab, reply);
    });

    // Follow-ups on the established session, each way.
    const second = `follow-up from Chromium ${randomUUID()}`;
    await step('follow-up tab -> Profanity', tab, async () => {
      await tabSends(tab, second);
      await bob.waitForMessage(alice.jid, second);
    });
    const third = `follow-up from Profanity, ÄÖÜ ✓ ${randomUUID()}`;
    await step('follow-up Profanity -> tab', tab, async () => {
      await bob.send(alice.jid, third);
      await tabShows(tab, third);
    });
    // The sending tab shows its own texts (kept at send time: OMEMO does not encrypt to the sending device).
    for (const own of [first, firstAgain, second]) await tabShows(tab, own);

    // Server side: ciphertext only, and the tab stopped sending PreKey messages once Profanity had answered.
    await assertStoredEncrypted(tab, [
      { direction: 'out', sid: tab.deviceId, rid: bobDevice, prekey: true },
      { direction: 'out', sid: tab.deviceId, rid: bobDevice, prekey: true },
      { direction: 'in', sid: bobDevice, rid: tab.deviceId, prekey: false },
      { direction: 'out', sid: tab.deviceId, rid: bobDevice, prekey: false },
      { direction: 'in', sid: bobDevice, rid: tab.deviceId, prekey: false },
    ], [first, firstAgain, reply, second, third]);

    await saveScreenshot(tab.page, 'e2e-omemo-profanity.png');
    assert.deepEqual(tab.errors, []);
  });

  test('Profanity writes first: its PreKey message, the tab\'s reply and a follow-up each way are decrypted', async () => {
    const carol = await stack.newUser('pc');
    await makeMutualContacts(stack.server, carol, bobUser);
    const tab = await timed('second tab login', () => openTab(carol));
    await tab.page.goto(`${stack.url}/#chat/${bobUser.jid}`);

    // /omemo start fetches Carol's device list and bundle in the background: wait until Profanity has the tab's key.
    await step('Profanity /omemo start with a new contact', tab, async () => {
      await bob.startOmemo(carol.jid);
      await bob.waitForPeerFingerprint(carol.jid, await publishedFingerprint(carol.jid, tab.deviceId));
    });
    const first = `hello Chromium from Profanity, grüße ✓ 😀 ${randomUUID()}`;
    await step('first message Profanity -> tab', tab, async () => {
      await bob.send(carol.jid, first);
      await tabShows(tab, first);
    });
    const firstAgain = `second before any reply ${randomUUID()}`;
    await step('second PreKey message Profanity -> tab', tab, async () => {
      await bob.send(carol.jid, firstAgain);
      await tabShows(tab, firstAgain);
    });
    const reply = `reply from Chromium ${randomUUID()}`;
    await step('reply tab -> Profanity', tab, async () => {
      await tabSends(tab, reply);
      await bob.waitForMessage(carol.jid, reply);
    });
    const second = `follow-up from Profanity ${randomUUID()}`;
    await step('follow-up Profanity -> tab', tab, async () => {
      await bob.send(carol.jid, second);
      await tabShows(tab, second);
    });
    const third = `follow-up from Chromium ${randomUUID()}`;
    await step('follow-up tab -> Profanity', tab, async () => {
      await tabSends(tab, third);
      await bob.waitForMessage(carol.jid, third);
    });

    // The tab answered on the session Profanity's PreKey message built: no PreKey message of its own.
    const conversation = [
      { direction: 'in', sid: bobDevice, rid: tab.deviceId, prekey: true },
      { direction: 'in', sid: bobDevice, rid: tab.deviceId, prekey: true },
      { direction: 'out', sid: tab.deviceId, rid: bobDevice, prekey: false },
      { direction: 'in', sid: bobDevice, rid: tab.deviceId, prekey: false },
      { direction: 'out', sid: tab.deviceId, rid: bobDevice, prekey: false },
    ] as const;
    await assertStoredEncrypted(tab, [...conversation], [first, firstAgain, reply, second, third]);
    assert.deepEqual(tab.errors, []);

    // Carol closes the tab; Profanity writes three more; a new tab of the same browser takes over the device and reads
    // them from the server's history, decrypting all three (rendered together, not one at a time).
    const context = tab.page.context();
    await tab.page.close();
    const offline = [1, 2, 3].map((n) => `while you were away ${n} ${randomUUID()}`);
    for (const text of offline) await step('Profanity writes to a closed tab', tab, () => bob.send(carol.jid, text));
    await assertStoredEncrypted(tab, [...conversation, ...offline.map(() => ({ direction: 'in' as const, sid: bobDevice, rid: tab.deviceId, prekey: false }))], [...offline]);
    const page = await context.newPage();
    const again: Tab = { page, jid: carol.jid, deviceId: 0, errors: [], consoleLines: [] };
    page.on('pageerror', (e) => again.errors.push(e.message));
    page.on('console', (m) => again.consoleLines.push(`[${m.type()}] ${m.text()}`));
    await step('a new tab reads what arrived while none was open', again, async () => {
      await page.goto(`${stack.url}/#chat/${bobUser.jid}`);
      await page.waitForFunction(() => !!document.body.dataset.omemoDevice, undefined, { timeout: PAGE_WAIT_MS });
      for (const text of [...offline, first, reply, third]) await tabShows(again, text);
    });
    assert.equal(Number(await page.evaluate(() => document.body.dataset.omemoDevice)), tab.deviceId, 'the new tab adopted the device');
    assert.deepEqual(again.errors, []);
  });

  test('a stranger\'s tab cannot read Profanity\'s presence-only bundle: nothing is sent, the tab says why', async () => {
    const frank = await stack.newUser('pf'); // not in Bob's roster
    const tab = await timed('stranger tab login', () => openTab(frank));
    await tab.page.goto(`${stack.url}/#chat/${bobUser.jid}`);
    const text = `from a stranger ${randomUUID()}`;
    await step('stranger sends', tab, () => tabSends(tab, text));
    const error = tab.page.locator('#composer-error');
    await step('the tab explains why nothing was sent', tab, () => error.waitFor({ state: 'visible', timeout: PAGE_WAIT_MS }));
    const said = (await error.textContent()) ?? '';
    assert.match(said, new RegExp(`^Not sent: Could not encrypt to any device of ${bobUser.jid} .*to contacts only: they have to accept you as a contact`), said);
    assert.equal(await tab.page.getByTestId('composer-input').inputValue(), text, 'the text is given back');
    const session = stack.parley.sessions.sessions().find((s) => s.jid === frank.jid)!;
    assert.deepEqual(await storedRows(session.accountId), []);
  });

  test('Profanity and a Parley tab on the same account: each reads the other\'s sent messages (carbons), the peer reads both', async () => {
    const erin = await stack.newUser('pe');
    await makeMutualContacts(stack.server, erin, bobUser);
    const [erinTab, bobTab] = await timed('two tab logins (Erin, and Bob next to his Profanity)', () => Promise.all([openTab(erin), openTab(bobUser)]));

    // Parley merges its device into Bob's list and leaves Profanity's there.
    const ownList = async () => {
      const raw = await RawXmpp.login({ host: '127.0.0.1', port: stack.server.c2sPort, jid: erin.jid, password: erin.password, resource: 'probe' });
      try {
        const [item] = await pepItems(raw, bobUser.jid, 'eu.siacs.conversations.axolotl.devicelist');
        return (child(item!, 'list', AXOLOTL)?.children ?? []).map((d) => Number(d.attrs.id)).sort();
      } finally {
        await raw.close();
      }
    };
    assert.deepEqual(await ownList(), [bobDevice, bobTab.deviceId].sort(), 'Bob\'s device list holds Profanity and the tab');

    // Profanity picks up its account's new device by itself (own device list notification); Erin's through /omemo start.
    await step('Profanity knows Bob\'s tab and Erin\'s tab', bobTab, async () => {
      await bob.startOmemo(erin.jid);
      await bob.waitForPeerFingerprint(erin.jid, await publishedFingerprint(erin.jid, erinTab.deviceId));
      await bob.waitForPeerFingerprint(bobUser.jid, await publishedFingerprint(bobUser.jid, bobTab.deviceId));
    });

    await erinTab.page.goto(`${stack.url}/#chat/${bobUser.jid}`);
    const fromProfanity = `from Profanity to Erin, copied to Bob's tab ${randomUUID()}`;
    await step('Profanity -> Erin, and the carbon in Bob\'s tab', erinTab, async () => {
      await bob.send(erin.jid, fromProfanity);
      await tabShows(erinTab, fromProfanity);
    });
    await bobTab.page.goto(`${stack.url}/#chat/${erin.jid}`);
    await step('Bob\'s tab decrypts what his Profanity sent', bobTab, () => tabShows(bobTab, fromProfanity));

    const fromBobTab = `from Bob's tab to Erin, copied to Profanity ${randomUUID()}`;
    await step('Bob\'s tab -> Erin, and the carbon in Profanity', bobTab, async () => {
      await tabSends(bobTab, fromBobTab);
      await tabShows(erinTab, fromBobTab);
      // Profanity shows a carbon of its account's own message as "me:", with "~" once it decrypted it.
      await bob.openChat(erin.jid);
      await bob.waitForScreen(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ~ me: ${fromBobTab.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), { what: 'carbon of the tab\'s message' });
    });

    const fromErin = `from Erin to both of Bob's devices ${randomUUID()}`;
    await step('Erin -> Bob, read by Profanity and Bob\'s tab', erinTab, async () => {
      await tabSends(erinTab, fromErin);
      await bob.waitForMessage(erin.jid, fromErin);
      await tabShows(bobTab, fromErin);
    });

    // A stranger can read the tab's open bundle but not Profanity's presence-only one: the message goes to Bob's tab
    // only, and the stranger is told that one of Bob's devices cannot read it.
    const stranger = await openTab(await stack.newUser('pg'));
    await stranger.page.goto(`${stack.url}/#chat/${bobUser.jid}`);
    const partly = `from a stranger, for the devices that can be reached ${randomUUID()}`;
    const NO_KEY = '[OMEMO][RECV] received a message with no corresponding key';
    const noKeyCount = async () => (await bob.log()).split(NO_KEY).length - 1;
    const noKeyBefore = await noKeyCount();
    await step('stranger -> Bob: Bob\'s tab reads it, the stranger hears about Profanity', stranger, async () => {
      await tabSends(stranger, partly);
      await bobTab.page.goto(`${stack.url}/#chat/${stranger.jid}`);
      await tabShows(bobTab, partly);
      const notice = stranger.page.locator('#composer-error');
      await notice.waitFor({ state: 'visible', timeout: PAGE_WAIT_MS });
      assert.match((await notice.textContent()) ?? '', new RegExp(`^Sent, but one device of ${bobUser.jid} cannot read it \\(.*contacts only`));
      // Profanity got the stanza, with no key for its device.
      const deadline = Date.now() + PAGE_WAIT_MS;
      while ((await noKeyCount()) === noKeyBefore) {
        if (Date.now() > deadline) throw new Error(`Profanity never logged "${NO_KEY}"`);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    assert.deepEqual([...erinTab.errors, ...bobTab.errors, ...stranger.errors], []);
  });
});
