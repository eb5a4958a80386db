/**
 * Survival 4: a tab's network drops for 30 s while messages arrive. When it comes back it resumes by itself
 * (no reload) and shows everything that happened, in order.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TestProsody } from '../harness/prosody.js';
import { createTestDatabase } from '../harness/postgres.js';
import { freePort } from '../harness/ports.js';
import { TcpProxy } from '../harness/tcp-proxy.js';
import { TestStack } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { launchBrowser, saveScreenshot } from '../harness/browser.js';
import { startParley, type Parley } from '../../server/app/parley.js';
import { createLogger } from '../../server/app/logger.js';

let prosody: TestProsody;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let parley: Parley;
let proxy: TcpProxy;
let browser: Browser;

before(async () => {
  prosody = await TestProsody.start();
  db = await createTestDatabase();
  const port = await freePort();
  proxy = await TcpProxy.start(port);
  // The browser reaches Parley only through the proxy, which is therefore the public URL (as behind nginx).
  parley = await startParley(TestStack.config(prosody, db.url, { PORT: String(port), PARLEY_PUBLIC_URL: proxy.url }), { log: createLogger('silent') });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await proxy?.close();
  await parley?.close();
  await prosody?.stop();
  await db?.drop();
});

test('a tab offline for 30 s catches up in order without a reload', async () => {
  const alice = { jid: await prosody.createUser('offa', 'pw'), password: 'pw' };
  const bob = { jid: await prosody.createUser('offb', 'pw'), password: 'pw' };
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${proxy.url}/login`);
  await page.getByTestId('login-jid').fill(alice.jid);
  await page.getByTestId('login-password').fill(alice.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(`${proxy.url}/`);
  await page.goto(`${proxy.url}/#chat/${bob.jid}`);
  const bobClient = await XmppPeer.login(prosody, bob.jid, bob.password);
  try {
    await bobClient.sendChat(alice.jid, 'before the drop');
    await page.getByTestId('message-body').filter({ hasText: 'before the drop' }).waitFor();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);

    proxy.drop();
    await page.getByTestId('connection-banner').waitFor({ state: 'visible', timeout: 15_000 });
    const during = Array.from({ length: 10 }, (_, i) => `while offline ${i}`);
    for (const body of during) {
      await bobClient.sendChat(alice.jid, body);
      await new Promise((r) => setTimeout(r, 2500));
    }
    await new Promise((r) => setTimeout(r, 5000)); // 30 s in all
    proxy.restore();

    for (const body of during) await page.getByTestId('message-body').filter({ hasText: body }).waitFor({ timeout: 20_000 });
    const shown = await page.getByTestId('message-body').allTextContents();
    const order = shown.filter((t) => t.startsWith('while offline') || t === 'before the drop');
    assert.deepEqual(order, ['before the drop', ...during]);
    assert.equal(navigations, 0, 'no reload');
    await page.getByTestId('connection-banner').waitFor({ state: 'hidden', timeout: 15_000 });
    await saveScreenshot(page, 'e2e-after-offline.png');
  } finally {
    await bobClient.stop();
  }
});
