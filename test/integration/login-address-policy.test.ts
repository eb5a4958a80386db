/**
 * Issue 13, item 1: the login and registration forms are no SSRF and no reachability oracle. A domain that is not
 * named in PARLEY_XMPP_SERVICES and resolves to loopback or a private address is never connected to (a listener
 * there counts zero connections); every failure before an XMPP stream opens reads the same; failed attempts are
 * limited per XMPP domain as well as per client address.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { ConnectionCounter } from '../harness/hostile-xmpp.js';
import { freePort } from '../harness/ports.js';
import { pino } from 'pino';

/** Every line Parley logs, as JSON. */
const logLines: Record<string, unknown>[] = [];

let stack: TestStack;
let loopback: ConnectionCounter; // 127.0.0.1:5222, where x@127.1 and x@localhost-like names would go
let other: ConnectionCounter; // 127.0.0.2:5222
let counted: ConnectionCounter; // an admin-named service that is no XMPP server
let silent: net.Server;
let notXmpp: ConnectionCounter;

function shown(html: string, testId: string): string | null {
  const m = new RegExp(`data-testid="${testId}"[^>]*>([^<]*)<`).exec(html);
  return m ? m[1]!.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').trim() : null;
}

before(async () => {
  loopback = await ConnectionCounter.start('127.0.0.1', 5222);
  other = await ConnectionCounter.start('127.0.0.2', 5222);
  counted = await ConnectionCounter.start('127.0.0.1');
  notXmpp = await ConnectionCounter.start('127.0.0.1', 0, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  silent = net.createServer((s) => s.on('error', () => undefined)); // accepts, never answers
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const closedPort = await freePort();
  const services = [
    `counted.test=xmpp://127.0.0.1:${counted.port}`,
    `refused.test=xmpp://127.0.0.1:${closedPort}`,
    `silent.test=xmpp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
    `notxmpp.test=xmpp://127.0.0.1:${notXmpp.port}`,
  ];
  stack = await TestStack.start({
    services,
    log: pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) }),
    env: { PARLEY_REGISTRATION: 'true', PARLEY_LOGIN_ATTEMPTS: '1000', PARLEY_DOMAIN_LOGIN_FAILURES: '3', PARLEY_XMPP_TIMEOUT: '1' },
  });
});

after(async () => {
  await stack?.close();
  await Promise.all([loopback?.stop(), other?.stop(), counted?.stop(), notXmpp?.stop()]);
  silent?.close();
});

test('a login or registration to a domain on loopback or a private address opens no connection', async () => {
  for (const jid of ['x@127.0.0.2', 'x@127.0.0.1', 'x@127.1', 'x@[::ffff:127.0.0.1]', 'x@0.0.0.0']) {
    const res = await new HttpBrowser(stack.url).login(jid, 'pw');
    assert.equal(res.status, 503, jid);
    assert.match(shown(res.html, 'login-error') ?? '', /^Cannot reach the XMPP server of /, jid);
  }
  const browser = new HttpBrowser(stack.url);
  const token = await browser.csrf('/register');
  const registered = await browser.post('/register', { jid: 'newbie@127.0.0.2', password: 'long-enough-pw', confirm: 'long-enough-pw', _csrf: token });
  assert.equal(registered.status, 503);
  assert.equal(other.count, 0, 'a connection reached 127.0.0.2:5222');
  assert.equal(loopback.count, 0, 'a connection reached 127.0.0.1:5222');
  // What was refused is logged, with the address, at warn level; the password never.
  const refused = logLines.filter((l) => l.msg === 'login refused: the domain points at a loopback or private address');
  assert.ok(refused.some((l) => l.account === 'x@127.0.0.2' && /127\.0\.0\.2/.test(String(l.detail)) && l.level === 40), JSON.stringify(refused));
  assert.ok(logLines.some((l) => l.msg === 'registration refused' && l.level === 40 && /127\.0\.0\.2/.test(String(l.detail))));
  assert.ok(!logLines.some((l) => JSON.stringify(l).includes('long-enough-pw')));
});

test('refused, unreachable, silent, not XMPP and private all read the same on the login page', async () => {
  const texts = new Map<string, string>();
  for (const domain of ['refused.test', 'silent.test', 'notxmpp.test', '127.0.0.2']) {
    const res = await new HttpBrowser(stack.url).login(`probe@${domain}`, 'pw');
    assert.equal(res.status, 503, domain);
    texts.set(domain, (shown(res.html, 'login-error') ?? '').replaceAll(domain, 'DOMAIN'));
  }
  assert.equal(new Set(texts.values()).size, 1, JSON.stringify([...texts]));
  assert.equal(texts.get('refused.test'), 'Cannot reach the XMPP server of DOMAIN. Check the address, or try again later.');
  assert.equal(notXmpp.count, 1); // an admin-named service is connected to: the rule is for what outsiders choose
});

test('failed logins are limited per XMPP domain, whatever address they come from', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await new HttpBrowser(stack.url).login(`guess${i}@counted.test`, 'pw')).status);
  assert.deepEqual(statuses, [503, 503, 503, 429, 429]);
  assert.equal(counted.count, 3, 'the limited attempts did not reach the server');
  const limited = await new HttpBrowser(stack.url).login('guess9@counted.test', 'pw');
  assert.match(shown(limited.html, 'login-error') ?? '', /Too many failed login attempts for this XMPP server/);
  // Another domain is not affected, and a working login still works.
  const user = await stack.newUser('ok');
  assert.equal((await new HttpBrowser(stack.url).login(user.jid, user.password)).status, 303);
});
