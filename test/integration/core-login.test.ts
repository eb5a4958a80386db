/** Login through the HTTP form against a real Prosody: success, wrong password, unreachable and hostile servers. */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { freePort } from '../harness/ports.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let closedPort: number;
  let hangupServer: net.Server;
  let hangupPort: number;

  before(async () => {
    closedPort = await freePort();
    hangupPort = await freePort();
    // A "server" that accepts TCP and closes the stream at once, as a broken or hostile server might.
    hangupServer = net.createServer((s) => s.end("<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:error><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"));
    await new Promise<void>((r) => hangupServer.listen(hangupPort, '127.0.0.1', r));
    stack = await TestStack.start({ server: kind });
    // Two more domains in the service map: one with nothing listening, one that hangs up.
    Object.assign(stack.parley.config.xmpp.services, {
      'unreachable.test': `xmpp://127.0.0.1:${closedPort}`,
      'hangup.test': `xmpp://127.0.0.1:${hangupPort}`,
    });
  });

  after(async () => {
    await stack?.close();
    hangupServer?.close();
  });

  test('a right password lands in the app; the session cookie works and the app shell names the account', async () => {
    const user = await stack.newUser('login');
    const browser = new HttpBrowser(stack.url);
    const res = await browser.login(user.jid, user.password);
    assert.equal(res.status, 303);
    assert.equal(res.location, '/');
    const app = await browser.request('/');
    assert.equal(app.status, 200);
    assert.match(await app.text(), new RegExp(user.jid.replace('.', '\\.')));
    assert.equal(await stack.server.c2sSessionCount(user.jid), 1);
  });

  test('the session id is rotated at login', async () => {
    const user = await stack.newUser('rotate');
    const browser = new HttpBrowser(stack.url);
    await browser.csrf('/login');
    const before = browser.cookieHeader;
    const res = await browser.login(user.jid, user.password);
    assert.equal(res.status, 303);
    assert.notEqual(browser.cookieHeader, before);
  });

  test('a wrong password and an unknown user get the same clear message, and nothing is created', async () => {
    const user = await stack.newUser('wrongpw');
    const browser = new HttpBrowser(stack.url);
    const wrong = await browser.login(user.jid, 'not-the-password');
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /Wrong address or password\./);
    const unknown = await new HttpBrowser(stack.url).login(`nobody-${Date.now()}@${stack.server.domain}`, 'x');
    assert.equal(unknown.status, 401);
    assert.match(unknown.html, /Wrong address or password\./);
    assert.equal(await stack.parley.stores.accounts.byJid(user.jid), null);
    assert.equal((await browser.request('/')).status, 303);
  });

  test('an unreachable server is reported on the login page without a crash', async () => {
    const res = await new HttpBrowser(stack.url).login('someone@unreachable.test', 'pw');
    assert.equal(res.status, 503);
    assert.match(res.html, /Cannot reach the XMPP server of unreachable\.test/);
    assert.equal(await stack.parley.stores.accounts.byJid('someone@unreachable.test'), null);
  });

  test('a server that closes the stream is reported on the login page', async () => {
    const res = await new HttpBrowser(stack.url).login('someone@hangup.test', 'pw');
    assert.equal(res.status, 503);
    assert.match(res.html, /hangup\.test/);
    assert.equal(stack.parley.sessions.sessions().some((s) => s.jid === 'someone@hangup.test'), false);
  });

  test('malformed form input gets a clear error', async () => {
    const browser = new HttpBrowser(stack.url);
    const noPw = await browser.login('a@b.c', '');
    assert.equal(noPw.status, 400);
    assert.match(noPw.html, /Enter your password/);
    const badJid = await browser.login('not a jid', 'pw');
    assert.equal(badJid.status, 400);
    assert.match(badJid.html, /not a valid XMPP address/);
  });

  test('a form post without the CSRF token is refused', async () => {
    const user = await stack.newUser('csrf');
    const browser = new HttpBrowser(stack.url);
    await browser.request('/login');
    const res = await browser.post('/login', { jid: user.jid, password: user.password });
    assert.equal(res.status, 403);
    assert.equal(await stack.server.c2sSessionCount(user.jid), 0);
  });
});
