/** HTTP hardening, each check able to fail without its protection: CSP, cookie flags, login throttles, no password at rest. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { TestStack, HttpBrowser } from '../harness/parley.js';

let stack: TestStack;

before(async () => {
  stack = await TestStack.start({ env: { PARLEY_ACCOUNT_LOGIN_FAILURES: '3' } });
});
after(async () => {
  await stack?.close();
});

test('pages carry a strict Content-Security-Policy and contain no inline script or handler', async () => {
  const user = await stack.newUser('csp');
  const browser = new HttpBrowser(stack.url);
  await browser.login(user.jid, user.password);
  for (const path of ['/login', '/']) {
    const res = await browser.request(path === '/login' ? '/nowhere' : path);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/, `${path}: ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  }
  const html = await (await browser.request('/')).text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handler');
});

test('the session cookie is HttpOnly and SameSite=Lax; "keep me signed in" makes it last', async () => {
  const user = await stack.newUser('cookie');
  const browser = new HttpBrowser(stack.url);
  const csrf = await browser.csrf('/login');
  const res = await browser.request('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ jid: user.jid, password: user.password, _csrf: csrf, remember: 'on' }).toString(),
  });
  assert.equal(res.status, 303);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('parley.sid='))!;
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Lax/i);
  assert.match(cookie, /Expires=/i, 'remember me gives a lasting cookie');
});

test('an account is locked for a while after repeated wrong passwords, from any address; others are not', async () => {
  const victim = await stack.newUser('victim');
  const other = await stack.newUser('bystander');
  for (let i = 0; i < 3; i++) assert.equal((await new HttpBrowser(stack.url).login(victim.jid, 'guess' + i)).status, 401);
  const locked = await new HttpBrowser(stack.url).login(victim.jid, victim.password);
  assert.equal(locked.status, 429);
  assert.match(locked.html, /Too many failed attempts for this account/);
  assert.equal(await stack.prosody.c2sSessionCount(victim.jid), 0, 'the XMPP server was not even asked');
  assert.equal((await new HttpBrowser(stack.url).login(other.jid, other.password)).status, 303);
});

test('no XMPP password is stored anywhere in the database, even with "keep me signed in"', async () => {
  const user = await stack.newUser('atrest');
  const res = await new HttpBrowser(stack.url).login(user.jid, user.password, { remember: 'on' });
  assert.equal(res.status, 303);
  const account = await stack.parley.stores.accounts.byJid(user.jid);
  assert.ok(account?.credential, 'sealed credentials are stored');
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
  try {
    const tables = await pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    for (const { table_name } of tables.rows) {
      const rows = await pool.query(`SELECT * FROM "${table_name}"`);
      const dump = JSON.stringify(rows.rows, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v));
      assert.equal(dump.includes(user.password), false, `password found in ${table_name}`);
    }
  } finally {
    await pool.end();
  }
});

test('a login form body over 16 KB is refused with 413, not a server error', async () => {
  const browser = new HttpBrowser(stack.url);
  const csrf = await browser.csrf('/login');
  const res = await browser.post('/login', { jid: `x@${stack.prosody.domain}`, password: 'p'.repeat(20_000), _csrf: csrf });
  assert.equal(res.status, 413);
  assert.match(await res.text(), /too large/);
  // A malformed form is the client's mistake too.
  const bad = await browser.request('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=klingon', origin: stack.url },
    body: 'jid=a',
  });
  assert.equal(bad.status, 415);
});
