/**
 * Capacity: a login storm beyond the login gate (PARLEY_LOGIN_CONCURRENCY + PARLEY_LOGIN_QUEUE) is answered with a
 * session or a 503 "busy" page in the browser's language, never a crash; and many remembered accounts come back after a
 * restart at a raised restore concurrency, each exactly once. Real Prosody, PostgreSQL and Parley.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestProsody } from '../harness/prosody.js';
import { createTestDatabase } from '../harness/postgres.js';
import { freePort } from '../harness/ports.js';
import { ParleyProcess } from '../harness/parley-process.js';
import { HttpBrowser, TestStack } from '../harness/parley.js';
import { until } from '../harness/poll.js';
import { pages } from '../../client/i18n/catalog/pages.en.js';
import { pagesDe } from '../../client/i18n/catalog/pages.de.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** The login page's error text as rendered (EJS escapes &, <, >, quotes). */
const escaped = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');

test('a login storm of 60 (named) beyond PARLEY_LOGIN_CONCURRENCY 2 + PARLEY_LOGIN_QUEUE 3: every answer is a session or a 503 busy page, the process stays up, later logins work', async () => {
  const stack = await TestStack.start({ env: { PARLEY_LOGIN_CONCURRENCY: '2', PARLEY_LOGIN_QUEUE: '3', PARLEY_LOGIN_ATTEMPTS: '10000', PARLEY_DOMAIN_LOGIN_FAILURES: '10' } });
  cleanups.push(() => stack.close());
  const users = await stack.prosody.createUsers('storm', 60, (i) => `storm-pw-${i}`);
  // PARLEY_DOMAIN_LOGIN_FAILURES 10: busy answers must not count as failed attempts (or the domain locks after 10).
  // Every browser has its form (and CSRF token) first, so that the 60 posts leave together.
  const browsers = await Promise.all(
    users.map(async (u, i) => {
      const browser = new HttpBrowser(stack.url);
      // Half of them read German: the busy page must say it in the tab's language.
      const language = i % 2 ? 'de' : 'en';
      return { u, browser, language, token: await browser.csrf('/login') };
    }),
  );
  const storm = await Promise.all(
    browsers.map(async ({ u, browser, language, token }) => {
      const res = await browser.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: stack.url, 'accept-language': language },
        body: new URLSearchParams({ jid: u.jid, password: u.password, _csrf: token }).toString(),
      });
      return { u, browser, language, status: res.status, retryAfter: res.headers.get('retry-after'), location: res.headers.get('location'), html: await res.text() };
    }),
  );
  const busy = storm.filter((r) => r.status === 503);
  const admitted = storm.filter((r) => r.status === 303);
  assert.equal(busy.length + admitted.length, 60, `other answers: ${JSON.stringify(storm.filter((r) => r.status !== 503 && r.status !== 303).map((r) => [r.status, r.html.slice(0, 300)]))}`);
  assert.ok(busy.length > 0, 'a storm past the gate gets busy answers');
  assert.ok(admitted.length >= 5, `at least the gate's concurrency + queue got in (${admitted.length})`);
  for (const r of admitted) assert.equal(r.location, '/');
  for (const r of busy) {
    const seconds = Number(r.retryAfter);
    assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After ${r.retryAfter}`);
    assert.ok(r.html.includes(escaped((r.language === 'de' ? pagesDe : pages)['login.busy'])), `the busy text in ${r.language}: ${r.html.slice(0, 2000)}`);
  }
  // The refused ones try again, a few at a time as people would: every one gets its session.
  for (let i = 0; i < busy.length; i += 2) {
    await Promise.all(
      busy.slice(i, i + 2).map(async (r) => {
        const again = await r.browser.login(r.u.jid, r.u.password);
        assert.equal(again.status, 303, again.html.slice(0, 500));
      }),
    );
  }
  assert.equal(stack.parley.sessions.size, 60);
  assert.deepEqual(stack.parley.sessions.gate.stats().inFlight, 0);
  // The metrics tell what happened.
  const metrics = await (await fetch(`${stack.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`parley_login_gate_decisions\\{outcome="refused"\\} ${busy.length}\\b`));
  assert.match(metrics, /parley_event_loop_delay_seconds\{stat="max"\} [0-9.e-]+/);
});

test('300 remembered accounts come back after a restart at PARLEY_RESTORE_CONCURRENCY 64: every one live, none twice', async () => {
  const prosody = await TestProsody.start({ c2sProbe: true });
  cleanups.push(() => prosody.stop());
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const port = await freePort();
  const env = {
    DATABASE_URL: db.url,
    PARLEY_SESSION_SECRET: 'restore-test-secret-restore-test-secret-1',
    PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
    PARLEY_XMPP_REQUIRE_TLS: 'false',
    PARLEY_LOGIN_ATTEMPTS: '10000',
    PARLEY_RESTORE_CONCURRENCY: '64',
  };
  let parley = await ParleyProcess.start(env, port);
  cleanups.push(() => parley.stop());
  const users = await prosody.createUsers('restore', 300, (i) => `restore-pw-${i}`);
  for (let i = 0; i < users.length; i += 20) {
    await Promise.all(
      users.slice(i, i + 20).map(async (u) => {
        const res = await new HttpBrowser(parley.url).login(u.jid, u.password, { remember: 'on' });
        assert.equal(res.status, 303, res.html.slice(0, 500));
      }),
    );
  }
  const gauge = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${parley.url}/metrics`)).text())?.[1]);
  assert.equal(await gauge('parley_logged_in_accounts'), 300);

  await parley.stop();
  parley = await ParleyProcess.start(env, port);
  await until(async () => (await gauge('parley_logged_in_accounts')) === 300, '300 sessions restored', 120_000, 200);

  // Prosody's own count: one c2s session per account, none missing, none twice.
  // Prosody's own count (its c2s session list over HTTP, cheap enough to poll on a loaded machine): one live
  // connection per account, none missing, none twice.
  let seen = new Map<string, { live: number; hibernating: number }>();
  const c2s = await until(async () => {
    seen = new Map([...(await prosody.c2sSessions())].filter(([jid]) => jid.startsWith('restore')));
    // The stopped instance's streams close as it shuts down: wait until only the restored ones are left.
    return [...seen.values()].every((n) => n.live === 1) && seen.size === 300 ? seen : null;
  }, 'one c2s session per account', 60_000, 250).catch((err: Error) => {
    const counts = [...seen.values()];
    const twice = [...seen].filter(([, n]) => n.live > 1).map(([jid]) => jid);
    const said = parley.output.split('\n').filter((line) => twice.some((jid) => line.includes(jid))).join('\n').slice(-4000);
    throw new Error(`${err.message}: ${seen.size} accounts on Prosody, ${counts.filter((n) => n.live > 1).length} with more than one live c2s session (${twice.join(', ')}), ${counts.filter((n) => n.live === 0).length} with none live, ${counts.filter((n) => n.hibernating > 0).length} with a hibernating one; Parley said of them:\n${said}`);
  });
  assert.equal(c2s.size, 300);
  // Nothing restored a second time meanwhile: every admitted restore but the failed ones (a timeout on a loaded
  // machine, retried by restoreAll) made one of the 300 sessions.
  assert.equal(await gauge('parley_logged_in_accounts'), 300);
  const admitted = await gauge('parley_login_gate_decisions{outcome="admitted"}');
  const failed = await gauge('parley_login_gate_decisions{outcome="failed"}');
  assert.ok(failed < 30, `${failed} restores failed first`);
  assert.equal(admitted - failed, 300, `${admitted} admitted, ${failed} failed`);
});
