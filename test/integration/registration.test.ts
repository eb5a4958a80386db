/**
 * In-band registration (XEP-0077) through the HTTP form against real Prosody servers: a new account lands in the
 * app, a taken name, bad fields, a foreign domain, a server with registration closed, an unreachable one, CSRF,
 * the rate limit, and an instance with PARLEY_REGISTRATION=false (no link, 404).
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { freePort } from '../harness/ports.js';
import { startParley, type Parley } from '../../server/app/parley.js';
import { createLogger } from '../../server/app/logger.js';
import { serverLabel, startXmppServer, testServers, type TestXmppServer } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  const ATTEMPTS = 25;
  let stack: TestStack;
  let closed: TestXmppServer;
  let disabled: Parley;

  before(async () => {
    closed = await startXmppServer(kind, { domain: 'closed.test', allowRegistration: false });
    stack = await TestStack.start({
      env: {
        PARLEY_REGISTRATION: 'true',
        PARLEY_DEFAULT_DOMAIN: 'localhost',
        PARLEY_XMPP_DOMAINS: 'localhost,closed.test,unreachable.test',
        PARLEY_LOGIN_ATTEMPTS: String(ATTEMPTS),
      },
    });
    Object.assign(stack.parley.config.xmpp.services, {
      'closed.test': `xmpp://127.0.0.1:${closed.c2sPort}`,
      'unreachable.test': `xmpp://127.0.0.1:${await freePort()}`,
    });
    // A second instance on the same Prosody and database, with the default PARLEY_REGISTRATION=false.
    disabled = await startParley(TestStack.config(stack.server, stack.databaseUrl, { PORT: String(await freePort()) }), { log: createLogger('silent') });
  });

  after(async () => {
    await disabled?.close().catch(() => undefined);
    await stack?.close();
    await closed?.stop();
  });

  const newName = (prefix: string) => `${prefix}${randomUUID().slice(0, 8)}`;

  interface Posted {
    status: number;
    location: string | null;
    html: string;
  }

  async function register(browser: HttpBrowser, fields: Record<string, string>): Promise<Posted> {
    const token = await browser.csrf('/register');
    const res = await browser.post('/register', { _csrf: token, ...fields });
    return { status: res.status, location: res.headers.get('location'), html: await res.text() };
  }

  /** The text of an element with this data-testid, entities decoded as a browser shows them. */
  function shown(html: string, testId: string): string | null {
    const m = new RegExp(`data-testid="${testId}"[^>]*>([^<]*)<`).exec(html);
    return m ? m[1]!.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').trim() : null;
  }

  test('the login page links to registration; a new account lands in the app, gets its hello, and can log in again', async () => {
    const browser = new HttpBrowser(stack.url);
    const login = await (await browser.request('/login')).text();
    assert.match(login, /<a href="\/register" data-testid="login-register-link">/);

    const page = await browser.request('/register');
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(await page.text(), /<script/);

    const name = newName('fresh');
    const password = `pw-${randomUUID()}`;
    const res = await register(browser, { jid: name, password, confirm: password, remember: 'on' });
    assert.equal(res.status, 303, res.html.slice(0, 800));
    assert.equal(res.location, '/');
    const app = await browser.request('/');
    assert.equal(app.status, 200);
    assert.match(await app.text(), new RegExp(`${name}@localhost`));
    const tab = browser.tab();
    try {
      const hello = await tab.waitFor('hello');
      assert.ok(hello);
    } finally {
      tab.close();
    }
    assert.equal(await stack.server.c2sSessionCount(`${name}@localhost`), 1);
    // "Keep me signed in" went through the login path too: sealed SCRAM keys, never the password.
    const account = await stack.parley.stores.accounts.byJid(`${name}@localhost`);
    assert.ok(account?.credential, 'sealed credential stored');
    assert.ok(!account.credential.toString('latin1').includes(password));
    // The account is real on the XMPP server: another browser logs in with it.
    const again = await new HttpBrowser(stack.url).login(`${name}@localhost`, password);
    assert.equal(again.status, 303);
  });

  test('registering the same name again says it is taken, at the address field, without echoing the password', async () => {
    const name = newName('taken');
    const first = await register(new HttpBrowser(stack.url), { jid: name, password: 'first-password', confirm: 'first-password' });
    assert.equal(first.status, 303);
    const second = await register(new HttpBrowser(stack.url), { jid: `${name}@localhost`, password: 'second-password', confirm: 'second-password' });
    assert.equal(second.status, 409);
    assert.equal(shown(second.html, 'register-jid-error'), 'That name is already taken on localhost. Choose another one.');
    assert.ok(!second.html.includes('second-password'));
    assert.match(second.html, new RegExp(`value="${name}@localhost"`)); // what was typed stays
    // The first password still works, the second does not.
    assert.equal((await new HttpBrowser(stack.url).login(name, 'second-password')).status, 401);
  });

  test('mismatched passwords, a bad address, a short password and a disallowed domain: one clear message per field, nothing created', async () => {
    const name = newName('mismatch');
    const mismatch = await register(new HttpBrowser(stack.url), { jid: name, password: 'one-password', confirm: 'another-password' });
    assert.equal(mismatch.status, 400);
    assert.equal(shown(mismatch.html, 'register-confirm-error'), 'The two passwords do not match.');
    assert.equal(shown(mismatch.html, 'register-jid-error'), null);

    const bad = await register(new HttpBrowser(stack.url), { jid: 'not valid', password: 'short', confirm: 'short' });
    assert.equal(bad.status, 400);
    assert.equal(shown(bad.html, 'register-jid-error'), 'That is not a valid XMPP address (user@example.org).');
    assert.equal(shown(bad.html, 'register-password-error'), 'Choose a password of at least 8 characters.');

    const foreign = await register(new HttpBrowser(stack.url), { jid: 'someone@elsewhere.example', password: 'long-enough', confirm: 'long-enough' });
    assert.equal(foreign.status, 400);
    assert.equal(shown(foreign.html, 'register-jid-error'), 'This instance only serves accounts on localhost, closed.test, unreachable.test.');

    const empty = await register(new HttpBrowser(stack.url), {});
    assert.equal(empty.status, 400);
    assert.equal(shown(empty.html, 'register-jid-error'), 'Choose your new address.');
    assert.equal(shown(empty.html, 'register-password-error'), 'Choose a password.');
    assert.equal(shown(empty.html, 'register-confirm-error'), 'Repeat the password.');

    // The mismatched attempt created nothing: the name is still free.
    const later = await register(new HttpBrowser(stack.url), { jid: name, password: 'one-password', confirm: 'one-password' });
    assert.equal(later.status, 303);
  });

  test('a server with registration disabled: "closed registration"; an unreachable server is named', async () => {
    const shut = await register(new HttpBrowser(stack.url), { jid: 'newbie@closed.test', password: 'long-enough', confirm: 'long-enough' });
    assert.equal(shut.status, 403);
    assert.equal(shown(shut.html, 'register-error'), 'The XMPP server of closed.test has closed registration: it does not accept new accounts from Parley.');
    const away = await register(new HttpBrowser(stack.url), { jid: 'newbie@unreachable.test', password: 'long-enough', confirm: 'long-enough' });
    assert.equal(away.status, 503);
    assert.match(shown(away.html, 'register-error') ?? '', /Cannot reach the XMPP server of unreachable\.test/);
    assert.equal(stack.parley.sessions.sessions().some((s) => s.jid.endsWith('@closed.test') || s.jid.endsWith('@unreachable.test')), false);
  });

  test('a post without the CSRF token is refused and creates nothing', async () => {
    const browser = new HttpBrowser(stack.url);
    await browser.csrf('/register');
    const name = newName('csrf');
    const res = await browser.post('/register', { jid: name, password: 'long-enough', confirm: 'long-enough' });
    assert.equal(res.status, 403);
    assert.equal((await register(new HttpBrowser(stack.url), { jid: name, password: 'long-enough', confirm: 'long-enough' })).status, 303);
  });

  test('PARLEY_REGISTRATION=false: no link on the login page, /register answers 404', async () => {
    const browser = new HttpBrowser(disabled.url);
    const login = await (await browser.request('/login')).text();
    assert.match(login, /data-testid="login-submit"/);
    assert.doesNotMatch(login, /register/i);
    assert.equal((await browser.request('/register')).status, 404);
    const token = await browser.csrf('/login');
    const post = await browser.post('/register', { _csrf: token, jid: newName('off'), password: 'long-enough', confirm: 'long-enough' });
    assert.equal(post.status, 404);
  });

  test('registration posts are rate-limited per address like the login', async () => {
    // Earlier tests in this file used some of the budget; invalid posts use the rest without touching Prosody.
    const browser = new HttpBrowser(stack.url);
    let last: Posted | null = null;
    for (let i = 0; i <= ATTEMPTS && last?.status !== 429; i++) last = await register(browser, { jid: 'x', password: 'y', confirm: 'z' });
    assert.equal(last?.status, 429);
    assert.equal(shown(last!.html, 'register-error'), 'Too many registration attempts from your address. Wait a few minutes and try again.');
    // The login form keeps its own budget.
    assert.equal((await new HttpBrowser(stack.url).login('nobody', 'wrong-password')).status, 401);
  });
});
