/**
 * Files both ways with a real Prosody (mod_http_file_share) and ejabberd (mod_http_upload): Alice's browser session POSTs a file to /upload, Parley
 * uploads it (XEP-0363) and sends the link (XEP-0066); Bob, a real XMPP client, gets the link and downloads the exact
 * bytes. Bob's file message reaches Alice's tab as an attachment. Limits, CSRF, sessions and addresses are enforced.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, HttpBrowser, type LoggedIn } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

const PARLEY_LIMIT = 1024 * 1024; // PARLEY_UPLOAD_LIMIT_MB=1
const SERVER_LIMIT = 700 * 1024;

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let alice: LoggedIn;
  let bob: XmppPeer;
  let bobJid: string;

  before(async () => {
    stack = await TestStack.start({ server: kind, env: { PARLEY_UPLOAD_LIMIT_MB: '1' }, prosody: { uploadSizeLimit: SERVER_LIMIT } });
    alice = await stack.loggedIn('alice');
    const b = await stack.newUser('bob');
    bobJid = b.jid;
    bob = await XmppPeer.login(stack.server, b.jid, b.password);
  });
  after(async () => {
    await bob?.stop();
    await stack?.close();
  });

  interface UploadOptions {
    name?: string;
    type?: string;
    /** undefined: the page's real token; null: none. */
    csrf?: string | null;
    to?: string | null;
    path?: string;
  }

  async function upload(browser: HttpBrowser, body: BodyInit, opts: UploadOptions = {}): Promise<{ status: number; json: { ok: boolean; data?: { message: any }; error?: string } }> {
    const token = opts.csrf === undefined ? await browser.csrf('/') : opts.csrf;
    const to = opts.to === undefined ? bobJid : opts.to;
    const headers: Record<string, string> = {
      'content-type': opts.type ?? 'application/octet-stream',
      'x-file-name': encodeURIComponent(opts.name ?? 'file.bin'),
      origin: browser.baseUrl,
    };
    if (token !== null) headers['x-csrf-token'] = token;
    const path = opts.path ?? '/upload';
    const res = await browser.request(to === null ? path : `${path}?to=${encodeURIComponent(to)}`, {
      method: 'POST',
      body,
      headers,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = { ok: false, error: `not JSON: ${text.slice(0, 200)}` };
    }
    return { status: res.status, json };
  }

  const oobUrl = (el: Element) => el.getChild('x', 'jabber:x:oob')?.getChildText('url') ?? null;

  /** Messages with content Bob got (receipts for his own messages come and go meanwhile). */
  const bobContent = () => bob.messages.filter((el) => el.getChild('body') !== undefined).length;

  async function storedCount(): Promise<number> {
    return (await alice.tab.command('history', { peer: bobJid, limit: 100 })).messages.length;
  }

  /** Nothing reaches Bob for a while (bounded wait), and Alice's history did not grow. */
  async function assertNothingSent(before: { stored: number; atBob: number }): Promise<void> {
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(bobContent(), before.atBob, 'Bob received nothing');
    assert.equal(await storedCount(), before.stored, 'nothing stored');
  }

  test('Alice uploads through POST /upload; Bob gets the OOB link and downloads the exact bytes', async () => {
    const bytes = randomBytes(200 * 1024);
    const name = 'Holiday <b>photo</b> 🏖.bin';
    const res = await upload(alice.browser, bytes, { name, type: 'application/x-test' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const message = res.json.data!.message;
    assert.equal(message.direction, 'out');
    assert.equal(message.attachment.size, bytes.length);
    assert.equal(message.attachment.type, 'application/x-test');
    // The name travels in the URL (no path separators in it: '/' became '_'); both sides read it back from there.
    // ejabberd's mod_http_upload puts only [A-Za-z0-9_.-] of the name in the slot URL (docs/SERVER-QUIRKS.md).
    assert.equal(message.attachment.name, kind === 'prosody' ? 'Holiday <b>photo<_b> 🏖.bin' : 'Holiday__b_photo__b___.bin');
    assert.equal(message.body, message.attachment.url);
    assert.ok(message.attachment.url.startsWith(stack.server.uploadUrlPrefix), `${message.attachment.url} is a slot of the test server`);

    const atBob = await bob.waitForMessage((el) => oobUrl(el) === message.attachment.url);
    assert.equal(atBob.getChildText('body'), message.attachment.url);
    assert.equal(atBob.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id, message.originId);
    const download = await fetch(oobUrl(atBob)!);
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), bytes, 'the exact bytes');

    // Stored first and sent like any message: the tab was told, the history holds it, the server acked it.
    await alice.tab.waitFor('message', (e) => e.message.id === message.id && e.message.attachment?.url === message.attachment.url);
    await alice.tab.waitFor('message', (e) => e.message.id === message.id && e.message.state !== 'pending');
    const history = await alice.tab.command('history', { peer: bobJid, limit: 10 });
    assert.deepEqual(history.messages[0]!.attachment, message.attachment);
  });

  test('a file whose type is a form type is streamed as it is, not parsed as a form (whatever the path spelling)', async () => {
    const bytes = Buffer.from(`a=1&_csrf=forged&${'x'.repeat(20_000)}`);
    const res = await upload(alice.browser, bytes, { name: 'form.txt', type: 'application/x-www-form-urlencoded', path: '/Upload/' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const atBob = await bob.waitForMessage((el) => oobUrl(el) === res.json.data!.message.attachment.url);
    assert.deepEqual(Buffer.from(await (await fetch(oobUrl(atBob)!)).arrayBuffer()), bytes);
  });

  test("Bob's file message (OOB) reaches Alice's tab as a MessageDTO with the attachment; a javascript: one does not", async () => {
    const url = `${stack.server.uploadUrlPrefix}x/${encodeURIComponent('report <final>.pdf')}`;
    const id = await bob.sendChat(alice.jid, url, { extra: [xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url))] });
    const got = await alice.tab.waitFor('message', (e) => e.message.originId === id);
    assert.deepEqual(got.message.attachment, { url, name: 'report <final>.pdf' });
    assert.equal(got.message.body, url);

    const withDesc = await bob.sendChat(alice.jid, 'see attached', {
      extra: [xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'https://files.example.org/a/1'), xml('desc', {}, 'notes\u202etxt.exe'))],
    });
    const described = await alice.tab.waitFor('message', (e) => e.message.originId === withDesc);
    assert.deepEqual(described.message.attachment, { url: 'https://files.example.org/a/1', name: 'notestxt.exe' });

    const evil = await bob.sendChat(alice.jid, 'javascript:xss(1)', { extra: [xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'javascript:xss(1)'))] });
    const plain = await alice.tab.waitFor('message', (e) => e.message.originId === evil);
    assert.equal(plain.message.attachment, undefined);
    assert.equal(plain.message.body, 'javascript:xss(1)', 'the body still shows, as text');
  });

  test('over the Parley limit: 413 with a clear message, nothing sent or stored; the server limit (max-file-size) is honoured too', async () => {
    const before = { stored: await storedCount(), atBob: bobContent() };
    const tooBig = await upload(alice.browser, randomBytes(PARLEY_LIMIT + 1));
    assert.equal(tooBig.status, 413);
    assert.match(tooBig.json.error!, /larger than this Parley server accepts \(1 MB\)/);

    const overServer = await upload(alice.browser, randomBytes(SERVER_LIMIT + 1));
    assert.equal(overServer.status, 413);
    assert.match(overServer.json.error!, /larger than your XMPP server accepts/);

    // No Content-Length (a chunked stream): the slot needs the size first.
    const stream = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(10)); c.close(); } });
    const chunked = await upload(alice.browser, stream);
    assert.equal(chunked.status, 411);

    const empty = await upload(alice.browser, new Uint8Array(0));
    assert.equal(empty.status, 400);
    await assertNothingSent(before);
  });

  test('an upload without a session, without or with a bad CSRF token, or to something that is not a bare JID is refused', async () => {
    const before = { stored: await storedCount(), atBob: bobContent() };
    const body = randomBytes(100);

    const stranger = new HttpBrowser(stack.url);
    const anonymous = await upload(stranger, body, { csrf: await stranger.csrf('/login') });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.json.error!, /Log in/);
    assert.equal((await upload(stranger, body, { csrf: null })).status, 403);

    const noToken = await upload(alice.browser, body, { csrf: null });
    assert.equal(noToken.status, 403);
    assert.match(noToken.json.error!, /expired/);
    assert.equal((await upload(alice.browser, body, { csrf: `forged-${randomUUID()}` })).status, 403);

    for (const to of [`${bobJid}/phone`, 'bob', '', 'not a jid@localhost', '@localhost', null, alice.jid]) {
      const r = await upload(alice.browser, body, { to });
      assert.equal(r.status, 400, `to=${JSON.stringify(to)}: ${JSON.stringify(r.json)}`);
    }
    await assertNothingSent(before);
  });

  test('a clear error from the XMPP side: no upload service (501)', async () => {
    const without = await TestStack.start({ server: kind, prosody: { fileShare: false } });
    try {
      const a = await without.loggedIn('nofs');
      const none = await upload(a.browser, randomBytes(100), { to: `someone@${without.server.domain}` });
      assert.equal(none.status, 501);
      assert.match(none.json.error!, /offers no file upload service/);
    } finally {
      await without.close();
    }
  });

  // A per-day byte quota is Prosody's (http_file_share_daily_quota); ejabberd's mod_http_upload_quota counts MiB
  // and deletes old files instead of refusing new ones (docs/SERVER-QUIRKS.md), so there is nothing to refuse there.
  if (kind === 'prosody') {
    test('a clear error from the XMPP side: a slot refused for the daily quota (502)', async () => {
      const quota = await TestStack.start({ server: kind, prosody: { uploadDailyQuota: 1500 } });
      try {
        const q = await quota.loggedIn('quota');
        const to = `someone@${quota.server.domain}`;
        assert.equal((await upload(q.browser, randomBytes(1000), { to })).status, 200);
        const refused = await upload(q.browser, randomBytes(1000), { to });
        assert.equal(refused.status, 502);
        assert.match(refused.json.error!, /refused the file \(resource-constraint: Daily quota reached\)/);
        const history = await q.tab.command('history', { peer: to, limit: 10 });
        assert.equal(history.messages.length, 1, 'only the file that went through is stored');
      } finally {
        await quota.close();
      }
    });
  }

  test('a browser that gives up mid-upload sends nothing, crashes nothing, and does not use up the upload slots', async () => {
    const before = { stored: await storedCount(), atBob: bobContent() };
    const token = await alice.browser.csrf('/');
    const url = new URL(`/upload?to=${encodeURIComponent(bobJid)}`, stack.url);
    // More aborted uploads than may run at once: each must free its place.
    for (let i = 0; i < 4; i++) {
      await new Promise<void>((resolve) => {
        const req = http.request(url, {
          method: 'POST',
          headers: { cookie: alice.browser.cookieHeader, 'x-csrf-token': token, 'x-file-name': 'half.bin', 'content-type': 'application/octet-stream', 'content-length': '100000' },
        });
        req.on('error', () => resolve());
        req.on('response', () => resolve());
        req.write(randomBytes(i < 3 ? 10 : 50_000));
        // Give up at once (while Parley asks for the slot) or after part of the file went through.
        setTimeout(() => req.destroy(), i < 3 ? 0 : 150);
        req.on('close', () => resolve());
      });
    }
    await assertNothingSent(before);
    const ok = await upload(alice.browser, randomBytes(1000), { name: 'after.bin' });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
  });
});
