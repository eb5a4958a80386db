/**
 * File names and file links from the network render as text in real Chromium: a real second XMPP account sends 100+
 * file messages (XEP-0066 OOB) whose desc and URL path carry XSS payloads, plus javascript:/data: "files". Every name
 * shows verbatim (minus control and bidi characters) as a link's text, none executes, no javascript: link exists,
 * the page fetches nothing from the file host itself (pictures would go through /media; this host does not exist, so
 * nothing is inlined). Alice also sends one through the file button.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/xml';
import type { Browser } from 'playwright-core';
import { TestStack } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { launchBrowser, saveScreenshot, logInPage, watchedPage, scrollThrough, type WatchedPage } from '../harness/browser.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';
import { cleanFileName } from '../../server/stanza/oob.js';

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

const FILE_HOST = 'files.example.invalid';

async function filesWatchedPage(): Promise<WatchedPage & { fileHostRequests: string[] }> {
  const watched = await watchedPage(browser);
  const fileHostRequests: string[] = [];
  watched.page.on('request', (r) => {
    if (r.url().includes(FILE_HOST)) fileHostRequests.push(r.url());
  });
  return { ...watched, fileHostRequests };
}

test('XSS payloads as file names and in file URLs render as link text, never run, and no javascript: link exists', async () => {
  const payloads = xssPayloads();
  assert.ok(payloads.length >= 100);
  const alice = await stack.newUser('xfa');
  const bob = await stack.newUser('xfb');
  const { page, hits, dialogs, fileHostRequests } = await filesWatchedPage();
  await logInPage(page, stack.url, alice.jid, alice.password);

  const bobClient = await XmppPeer.login(stack.prosody, bob.jid, bob.password);
  peers.push(bobClient);

  // Even payloads name the file in <desc>; odd ones only through the URL's last path segment.
  const expected: string[] = [];
  for (const [i, p] of payloads.entries()) {
    const url = `https://${FILE_HOST}/${i}/${encodeURIComponent(p)}`;
    const oob = xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url), ...(i % 2 === 0 ? [xml('desc', {}, p)] : []));
    await bobClient.sendChat(alice.jid, url, { extra: [oob] });
    expected.push(cleanFileName(p));
  }
  // "Files" whose link is a script: no attachment, the body is plain text.
  const hostile = ['javascript:xss(9001)', 'data:text/html,<script>xss(9002)</script>', 'JaVaScRiPt:xss(9003)'];
  for (const url of hostile) await bobClient.sendChat(alice.jid, url, { extra: [xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url), xml('desc', {}, 'click me'))] });

  await page.goto(`${stack.url}/#chat/${bob.jid}`);
  await page.getByTestId('message-body').filter({ hasText: hostile.at(-1)! }).first().waitFor({ timeout: 20_000 });

  // Scroll up through the whole conversation so every message is rendered at least once (the list is virtualised).
  const names = new Set<string>();
  const links: { href: string; rel: string | null; target: string | null; text: string }[] = [];
  const seenBodies = new Set<string>();
  const collect = async () => {
    for (const b of await page.getByTestId('message-body').allTextContents()) seenBodies.add(b);
    const found = await page.getByTestId('message-attachment').evaluateAll((as) =>
      as.map((a) => ({ href: (a as HTMLAnchorElement).href, rel: a.getAttribute('rel'), target: a.getAttribute('target'), text: a.textContent ?? '' })));
    for (const l of found) {
      names.add(l.text);
      links.push(l);
    }
  };
  const want = new Set(expected).size;
  await scrollThrough(page, '[data-testid="message-list"]', 'up', collect, () => names.size >= want);
  assert.deepEqual(expected.filter((n) => !names.has(n)), [], 'every file name shown verbatim as link text');
  for (const l of links) {
    assert.match(l.href, new RegExp(`^https://${FILE_HOST.replaceAll('.', '\\.')}/`), 'only the http(s) link itself');
    assert.equal(l.rel, 'noopener noreferrer nofollow');
    assert.equal(l.target, '_blank');
  }

  const allHrefs = await page.evaluate(() => [...document.querySelectorAll('[href], [src], [action], [formaction]')].map((e) =>
    e.getAttribute('href') ?? e.getAttribute('src') ?? e.getAttribute('action') ?? e.getAttribute('formaction') ?? ''));
  assert.deepEqual(allHrefs.filter((h) => /^\s*(javascript|data|vbscript):/i.test(h)), [], 'no script link anywhere on the page');
  const bodies = [...seenBodies];
  for (const url of hostile) assert.ok(bodies.includes(url), `the hostile "file" shows as text: ${url}`);
  assert.equal(bodies.filter((b) => b.includes(FILE_HOST)).length, 0, 'a file message whose body is its URL does not repeat the URL');
  assert.equal(await page.locator('#messages img, #messages iframe, #messages video, #messages audio, #messages object').count(), 0, 'nothing inlined');

  // Alice sends a file with a hostile name through the composer's file button; Bob gets its link.
  const hostileName = payloads[3]!; // <img src=x onerror=...>
  await page.getByTestId('composer-file-input').setInputFiles({ name: hostileName, mimeType: 'text/plain', buffer: Buffer.from('hello from Alice') });
  const atBob = await bobClient.waitForMessage((el) => el.getChild('x', 'jabber:x:oob') !== undefined, 15_000);
  const url = atBob.getChild('x', 'jabber:x:oob')!.getChildText('url')!;
  assert.equal(await (await fetch(url)).text(), 'hello from Alice');
  const own = page.locator('.message-out').getByTestId('message-attachment');
  await own.first().waitFor({ timeout: 10_000 });
  assert.equal(await own.first().textContent(), hostileName.replaceAll('/', '_'));

  await page.waitForTimeout(500);
  await saveScreenshot(page, 'e2e-xss-files.png');
  assert.deepEqual(await hits(), [], 'no payload executed');
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.deepEqual(fileHostRequests, [], 'the browser fetched nothing from the file host');
});
