/**
 * Encrypted uploads and the media route with a real Prosody (mod_http_file_share) and a real Parley:
 * POST /upload?encrypted=1 only stores the tab's bytes (nothing sent, nothing stored in the history) and answers the
 * GET URL; GET /media fetches a shared file for a logged-in tab under the size limit, the address policy and the
 * X-Parley-Media header, and hands back opaque bytes that no browser renders as a page of Parley's origin.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestStack, HttpBrowser, type LoggedIn } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

const LIMIT = 1024 * 1024; // PARLEY_UPLOAD_LIMIT_MB=1

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let alice: LoggedIn;
  let bob: XmppPeer;
  let bobJid: string;
  // A file server of our own on loopback (the admin's host for the test domain is 127.0.0.1) for the odd answers.
  let odd: http.Server;
  let oddUrl: string;

  before(async () => {
    stack = await TestStack.start({ server: kind, env: { PARLEY_UPLOAD_LIMIT_MB: '1' } });
    alice = await stack.loggedIn('media-a');
    const b = await stack.newUser('media-b');
    bobJid = b.jid;
    bob = await XmppPeer.login(stack.server, b.jid, b.password);
    odd = http.createServer((req, res) => {
      if (req.url === '/declared-too-big') {
        res.writeHead(200, { 'content-length': String(LIMIT + 1) });
        return res.end(Buffer.alloc(LIMIT + 1));
      }
      if (req.url === '/chunked-too-big') {
        res.writeHead(200, { 'content-type': 'image/png' });
        for (let i = 0; i < 5; i++) res.write(Buffer.alloc(LIMIT / 2));
        return res.end();
      }
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://10.1.2.3/' });
        return res.end();
      }
      if (req.url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end('<script>alert(1)</script>');
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
    oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
  });
  after(async () => {
    await bob?.stop();
    await new Promise((r) => odd?.close(r));
    await stack?.close();
  });

  const media = (browser: HttpBrowser, url: string, headers: Record<string, string> = { 'x-parley-media': '1' }) =>
    browser.request(`/media?url=${encodeURIComponent(url)}`, { headers });

  async function uploadEncrypted(bytes: Uint8Array): Promise<{ status: number; json: { ok: boolean; data?: { url: string }; error?: string } }> {
    const res = await alice.browser.request(`/upload?to=${encodeURIComponent(bobJid)}&encrypted=1`, {
      method: 'POST',
      body: new Uint8Array(bytes),
      headers: { 'content-type': 'image/png', 'x-file-name': encodeURIComponent('photo.png'), 'x-csrf-token': await alice.browser.csrf('/'), origin: alice.browser.baseUrl },
    });
    return { status: res.status, json: await res.json() };
  }

  test('an encrypted upload stores the bytes only: no message to Bob, none in the history; /media gives them back opaque', async () => {
    const bytes = randomBytes(300_000);
    const res = await uploadEncrypted(bytes);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const url = res.json.data!.url;
    assert.ok(url.startsWith(stack.server.uploadUrlPrefix), url);
    assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), bytes, 'the upload service holds exactly those bytes');
    const history = await alice.tab.command('history', { peer: bobJid, limit: 10 });
    assert.equal(history.messages.length, 0, 'nothing stored');

    const got = await media(alice.browser, url);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/octet-stream');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(got.headers.get('content-disposition'), 'attachment');
    assert.match(got.headers.get('content-security-policy')!, /sandbox/);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);

    // An aesgcm link names the https URL; the test upload service speaks http, tried since TLS is not required here.
    const viaHttps = await media(alice.browser, url.replace(/^http:/, 'https:'));
    assert.equal(viaHttps.status, 200);
    assert.deepEqual(Buffer.from(await viaHttps.arrayBuffer()), bytes);

    await new Promise((r) => setTimeout(r, 300));
    assert.equal(bob.messages.filter((m) => m.getChild('body')).length, 0, 'Bob got nothing');
  });

  test('/media needs a live session and the X-Parley-Media header', async () => {
    const url = `${oddUrl}/page.html`;
    assert.equal((await media(new HttpBrowser(stack.url), url)).status, 401);
    assert.equal((await media(alice.browser, url, {})).status, 403);
    const page = await media(alice.browser, url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'application/octet-stream', 'an HTML file is never served as HTML');
    assert.equal(page.headers.get('x-file-type'), 'text/html');
  });

  test('/media refuses other schemes, private addresses other than the admin-named host, redirects and files over the limit', async () => {
    for (const bad of ['javascript:alert(1)', 'ftp://127.0.0.1/x', 'file:///etc/passwd', 'not a url', `http://user:pw@127.0.0.1:${new URL(stack.server.uploadUrlPrefix).port}/`]) {
      assert.equal((await media(alice.browser, bad)).status, 400, bad);
    }
    const port = new URL(oddUrl).port;
    for (const priv of [`http://10.0.0.1:${port}/`, `http://[::1]:${port}/x`, `http://localhost:${port}/x`, `http://127.0.0.2:${port}/x`, `http://[::ffff:127.0.0.1]:${port}/x`, 'http://169.254.169.254/latest/meta-data/']) {
      assert.equal((await media(alice.browser, priv)).status, 403, priv);
    }
    assert.equal((await media(alice.browser, `${oddUrl}/redirect`)).status, 502);
    assert.equal((await media(alice.browser, `${oddUrl}/missing`)).status, 502);
    assert.equal((await media(alice.browser, `${oddUrl}/declared-too-big`)).status, 413);
    // No length declared: the body is cut off at the limit, so the tab never gets a whole (wrong) file.
    const chunked = await media(alice.browser, `${oddUrl}/chunked-too-big`);
    await assert.rejects(chunked.arrayBuffer());
  });
});
