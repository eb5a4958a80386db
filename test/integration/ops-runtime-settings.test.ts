/**
 * Settings an admin changes while Parley runs, on a real stack: from the admin panel (CSRF-protected form) and from
 * `npm run admin -- settings|set` (loopback admin API). The change is in force at once for what it governs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { runAdminCli } from '../../server/ops/admin-cli.js';

let stack: TestStack;
let boss: { jid: string; password: string };
const tabs: TestTab[] = [];

before(async () => {
  stack = await TestStack.start({ env: { PARLEY_ADMINS: 'boss@localhost', PARLEY_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parley-settings-')) } });
  const password = `pw-${randomUUID()}`;
  boss = { jid: await stack.prosody.createUser('boss', password), password };
});

after(async () => {
  for (const t of tabs) t.close();
  await stack?.close();
});

async function loggedIn(user: { jid: string; password: string }): Promise<HttpBrowser> {
  const browser = new HttpBrowser(stack.url);
  const res = await browser.login(user.jid, user.password);
  assert.equal(res.status, 303, res.html.slice(0, 300));
  return browser;
}

function cli() {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
  return { lines, run: (...argv: string[]) => runAdminCli(argv, stack.parley.config, io) };
}

test('the panel changes PARLEY_MAX_SESSIONS at once: the next login is refused as full; bad values and forged forms change nothing', async () => {
  const admin = await loggedIn(boss);
  const panel = await (await admin.request('/admin')).text();
  assert.match(panel, /<input name="value" value="10000" aria-label="PARLEY_MAX_SESSIONS" data-testid="admin-setting-PARLEY_MAX_SESSIONS"/);

  // Without the form's CSRF token: refused.
  const forged = await admin.post('/admin/settings', { name: 'PARLEY_MAX_SESSIONS', value: '1' });
  assert.equal(forged.status, 403);
  assert.equal(stack.parley.config.limits.maxSessions, 10_000);

  const token = await admin.csrf('/admin');
  const bad = await admin.post('/admin/settings', { name: 'PARLEY_MAX_SESSIONS', value: 'lots', _csrf: token });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /data-testid="admin-setting-error">PARLEY_MAX_SESSIONS=&#34;lots&#34;: /);
  const notRuntime = await admin.post('/admin/settings', { name: 'DATABASE_URL', value: 'postgres://elsewhere/db', _csrf: token });
  assert.equal(notRuntime.status, 400);
  assert.match(await notRuntime.text(), /DATABASE_URL cannot be changed while Parley runs/);
  assert.equal(stack.parley.config.limits.maxSessions, 10_000);

  const live = stack.parley.sessions.size;
  const ok = await admin.post('/admin/settings', { name: 'PARLEY_MAX_SESSIONS', value: String(live), _csrf: token });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), '/admin?changed=PARLEY_MAX_SESSIONS');
  assert.match(await (await admin.request('/admin?changed=PARLEY_MAX_SESSIONS')).text(), new RegExp(`PARLEY_MAX_SESSIONS is ${live} now`));

  const late = await stack.newUser('late');
  const refused = await new HttpBrowser(stack.url).login(late.jid, late.password);
  assert.equal(refused.status, 503, refused.html.slice(0, 300));
  assert.match(refused.html, /instance is full/);

  const back = await admin.post('/admin/settings', { name: 'PARLEY_MAX_SESSIONS', value: '10000', _csrf: await admin.csrf('/admin') });
  assert.equal(back.status, 303);
  assert.equal((await new HttpBrowser(stack.url).login(late.jid, late.password)).status, 303);

  // Not an admin: the route does not exist.
  const plain = await loggedIn(await stack.newUser('plain'));
  const plainToken = await plain.csrf('/');
  const denied = await plain.post('/admin/settings', { name: 'PARLEY_MAX_SESSIONS', value: '1', _csrf: plainToken });
  assert.equal(denied.status, 404);
  assert.equal(stack.parley.config.limits.maxSessions, 10_000);
});

test('the CLI lists the settings and sets the socket burst: a tab that connects afterwards is limited, one connected before is not', async () => {
  const { lines, run } = cli();
  assert.equal(await run('settings'), 0, lines.join('\n'));
  assert.ok(lines.some((l) => /^PARLEY_SOCKET_BURST\t60\t/.test(l)), lines.join('\n'));

  const user = await stack.newUser('burst');
  const browser = await loggedIn(user);
  const before = browser.tab();
  tabs.push(before);
  await before.waitFor('hello');

  assert.equal(await run('set', 'PARLEY_SOCKET_BURST', 'nope'), 2);
  assert.match(lines.at(-1)!, /^ERR 400: PARLEY_SOCKET_BURST="nope": /);
  assert.equal(await run('set', 'PARLEY_SOCKET_RATE', '1'), 0, lines.join('\n'));
  assert.equal(await run('set', 'PARLEY_SOCKET_BURST', '2'), 0, lines.join('\n'));
  assert.match(lines.at(-1)!, /^PARLEY_SOCKET_BURST: 60 -> 2 \(/);

  const after = browser.tab();
  tabs.push(after);
  await after.waitFor('hello');
  const peer = `nobody${randomUUID().slice(0, 6)}@localhost`;
  const history = (tab: TestTab) => tab.rawCommand('history', { peer, limit: 1 });
  const limited = await Promise.all([history(after), history(after), history(after), history(after)]);
  assert.ok(limited.some((r) => !r.ok && /Too many requests/.test(r.error ?? '')), JSON.stringify(limited));
  const unlimited = await Promise.all([history(before), history(before), history(before), history(before)]);
  assert.ok(unlimited.every((r) => r.ok), JSON.stringify(unlimited));

  assert.equal(await run('set', 'PARLEY_SOCKET_BURST', '60'), 0);
  assert.equal(await run('set', 'PARLEY_SOCKET_RATE', '20'), 0);
  assert.equal(await run('set', 'LOG_LEVEL', 'debug'), 2);
  assert.match(lines.at(-1)!, /LOG_LEVEL cannot be changed while Parley runs/);
});

test('registration switched on at run time: the login page links to it and /register answers; off again, it is gone', async () => {
  const { lines, run } = cli();
  const anonymous = new HttpBrowser(stack.url);
  assert.equal((await anonymous.request('/register')).status, 404);
  assert.equal((await (await anonymous.request('/login')).text()).includes('href="/register"'), false);

  assert.equal(await run('set', 'PARLEY_REGISTRATION', 'on'), 0, lines.join('\n'));
  assert.equal((await anonymous.request('/register')).status, 200);
  assert.ok((await (await anonymous.request('/login')).text()).includes('href="/register"'));

  assert.equal(await run('set', 'PARLEY_REGISTRATION', 'off'), 0, lines.join('\n'));
  assert.equal((await anonymous.request('/register')).status, 404);
});
