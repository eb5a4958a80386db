/** The shared session outlives closed tabs (away, then logged out when idle); logout ends it everywhere. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '../harness/poll.js';
import { TestStack, HttpBrowser, type TestTab, type LoggedIn } from '../harness/parley.js';

let stack: TestStack;
const tabs: TestTab[] = [];

before(async () => {
  stack = await TestStack.start({ env: { PARLEY_AWAY_AFTER: '1', PARLEY_IDLE_LOGOUT: '4' } });
});
after(async () => {
  for (const t of tabs) t.close();
  await stack?.close();
});

async function befriend(a: LoggedIn, b: LoggedIn) {
  await a.tab.command('addContact', { jid: b.jid, name: 'B' });
  await b.tab.command('addContact', { jid: a.jid, name: 'A' });
  await a.tab.waitFor('contact', (e) => e.contact.jid === b.jid && e.contact.subscription === 'both');
  await b.tab.waitFor('presence', (e) => e.jid === a.jid && e.show === 'available');
}

test('closing every tab keeps the session: away after the grace time, messages kept, instant reopen', async () => {
  const a = await stack.loggedIn('grace');
  const b = await stack.loggedIn('gracepeer');
  await befriend(a, b);

  a.tab.close();
  await b.tab.waitFor('presence', (e) => e.jid === a.jid && e.show === 'away', 5000);
  assert.equal(await stack.prosody.c2sSessionCount(a.jid), 1, 'still online while no tab is open');

  const body = `while you were away ${randomUUID()}`;
  await b.tab.command('send', { to: a.jid, body, originId: randomUUID() });
  await sleep(300);

  const t0 = Date.now();
  const again = a.openTab();
  const hello = await again.waitFor('hello');
  const reopenMs = Date.now() - t0;
  assert.ok(reopenMs < 2000, `reopen took ${reopenMs} ms`);
  assert.equal(hello.connection, 'online');
  assert.ok(hello.conversations.some((c) => c.peer === b.jid && c.last.body === body));
  await b.tab.waitFor('presence', (e) => e.jid === a.jid && e.show === 'available' && b.tab.events.filter((x) => x.name === 'presence').length > 2);
});

test('CSI and automatic away follow whether any tab is visible, not whether a tab is open', async () => {
  const a = await stack.loggedIn('csi');
  const b = await stack.loggedIn('csipeer');
  await befriend(a, b);
  const csi = () => stack.prosody.csiStates(a.jid);
  assert.deepEqual(await csi(), ['active']);

  // A second tab that opens in the background does not count as someone looking.
  const background = a.openTab({ visible: false });
  await background.waitFor('hello');
  assert.deepEqual(await csi(), ['active'], 'the first tab is still visible');

  await a.tab.command('visibility', { visible: false });
  await until(async () => ['inactive', 'flushing'].includes((await csi())[0]!), 'Prosody holds the session inactive');
  await b.tab.waitFor('presence', (e) => e.jid === a.jid && e.show === 'away', 5000);
  assert.equal(await stack.prosody.c2sSessionCount(a.jid), 1, 'both tabs are open: no logout');

  const awayAt = b.tab.events.length;
  await background.command('visibility', { visible: true });
  await until(async () => (await csi())[0] === 'active', 'Prosody sees the session active again');
  await b.tab.waitFor('presence', (e) => e.jid === a.jid && e.show === 'available' && b.tab.events.length > awayAt);
  // <inactive/> and <active/> are nonzas: stream management must not count them, or no later message is ever acked.
  // (To an account that is offline, so no receipt can stand in for the server's ack.)
  const silent = await stack.newUser('csisilent');
  const { message } = await a.tab.command('send', { to: silent.jid, body: 'after inactive and active', originId: randomUUID() });
  await a.tab.waitFor('message', (e) => e.message.id === message.id && e.message.state === 'sent');
  background.close();
});

test('a session with no tab is logged out after the idle time', async () => {
  const a = await stack.loggedIn('idle');
  a.tab.close();
  const deadline = Date.now() + 10_000;
  while ((await stack.prosody.c2sSessionCount(a.jid)) > 0 && Date.now() < deadline) await sleep(200);
  assert.equal(await stack.prosody.c2sSessionCount(a.jid), 0);
  assert.equal((await a.browser.request('/')).status, 303, 'the browser session is dead too');
});

test('logout ends the XMPP session, sends every tab to the login page and kills the cookie', async () => {
  const a = await stack.loggedIn('logout');
  const other = new HttpBrowser(stack.url);
  assert.equal((await other.login(a.jid, a.password)).status, 303);
  const otherTab = other.tab();
  tabs.push(otherTab);
  await otherTab.waitFor('hello');
  const second = a.openTab();
  await second.waitFor('hello');

  const res = await a.browser.logout();
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/login');
  await Promise.all([a.tab, second, otherTab].map((t) => t.waitFor('logout')));
  assert.equal(await stack.prosody.c2sSessionCount(a.jid), 0);
  assert.equal((await a.browser.request('/')).status, 303);
  assert.equal((await other.request('/')).status, 303, 'the other browser is logged out as well');
  const stale = other.tab();
  tabs.push(stale);
  assert.equal((await stale.waitFor('logout')).reason !== undefined, true);
});
