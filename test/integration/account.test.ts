/**
 * The account's own management (/account) on real Prosody and ejabberd (the test matrix): password change (XEP-0077) with the current password
 * checked, what Parley keeps following it (reconnect, sealed keys, the next login); account deletion after the typed
 * address and password, on Prosody and in Parley, told to every tab; signing out another browser.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';
import { until } from '../harness/poll.js';
import { CredentialVault } from '../../server/xmpp/credential-vault.js';
import { HostileXmppServer } from '../harness/hostile-xmpp.js';

let stack: TestStack;
let hostile: HostileXmppServer;
const tabs: TestTab[] = [];

/** Each describe starts its own stack; tests run one at a time, so `stack` is the current describe's. */
function useStack(start: () => Promise<TestStack>): void {
  before(async () => {
    stack = await start();
  });
  after(async () => {
    for (const t of tabs.splice(0)) t.close();
    await stack?.close();
  });
}

async function rawLogin(jid: string, password: string): Promise<boolean> {
  try {
    const peer = await XmppPeer.login(stack.server, jid, password);
    await peer.stop();
    return true;
  } catch {
    return false;
  }
}

async function signedIn(jid: string, password: string, remember = false): Promise<{ browser: HttpBrowser; tab: TestTab }> {
  const browser = new HttpBrowser(stack.url);
  const res = await browser.login(jid, password, remember ? { remember: 'on' } : {});
  assert.equal(res.status, 303, res.html.slice(0, 300));
  const tab = browser.tab();
  tabs.push(tab);
  await tab.waitFor('hello');
  return { browser, tab };
}

const vault = () => new CredentialVault('test-secret-test-secret-test-secret-0123');

for (const kind of testServers()) describe(serverLabel(kind), () => {
  useStack(() => TestStack.start({ server: kind }));

  test('password change: the new password works on the XMPP server, the old fails; Parley reconnects and restores with the new one', async () => {
    const user = await stack.newUser('pwchange');
    const { browser, tab } = await signedIn(user.jid, user.password, true);
    const session = stack.parley.sessions.sessions().find((s) => s.jid === user.jid)!;
    const sealedBefore = (await stack.parley.stores.accounts.byId(session.accountId))!.credential!;
    const keysBefore = vault().open(session.accountId, sealedBefore)!;
    assert.ok(keysBefore);

    const next = `new-${user.password}`;
    const csrf = await browser.csrf('/account');
    const res = await browser.post('/account/password', { _csrf: csrf, current: user.password, password: next, confirm: next });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/account?done=password');
    assert.match(await (await browser.request('/account?done=password')).text(), /data-testid="account-notice">Your password was changed/);

    assert.equal(await rawLogin(user.jid, next), true, 'the new password logs in');
    assert.equal(await rawLogin(user.jid, user.password), false, 'the old one does not');

    // The sealed credential of "keep me signed in" holds keys of the new password (never the password).
    const sealed = (await stack.parley.stores.accounts.byId(session.accountId))!.credential!;
    const keys = vault().open(session.accountId, sealed)!;
    assert.notEqual(keys.clientKey, keysBefore.clientKey);
    assert.equal(sealed.includes(Buffer.from(next)), false);
    assert.deepEqual(session.conn.scramKeys(), keys);

    // A dropped connection comes back with the new credentials.
    const online = new Promise((resolve) => session.conn.once('online', resolve));
    session.conn.socketForTests!.destroy();
    await online;
    assert.equal(session.conn.state, 'online');
    await tab.command('visibility', { visible: true });

    // After the session ends (idle), the remembered browser gets it back from the new sealed keys.
    await session.end('idle');
    const restored = await stack.parley.sessions.restore(session.accountId);
    assert.ok(restored && !restored.isEnded, 'restored from keys of the new password');
    // And the next login form takes the new password, not the old one.
    const other = new HttpBrowser(stack.url);
    assert.equal((await other.login(user.jid, user.password)).status, 401);
    assert.equal((await other.login(user.jid, next, { remember: 'on' })).status, 303);
  });

  test('password change refused: wrong current password, mismatch, empty, too long; nothing changes', async () => {
    const user = await stack.newUser('pwwrong');
    const { browser } = await signedIn(user.jid, user.password);
    const csrf = await browser.csrf('/account');
    const post = (fields: Record<string, string>) => browser.post('/account/password', { _csrf: csrf, ...fields });

    const wrong = await post({ current: 'not-it', password: 'n1', confirm: 'n1' });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /data-testid="account-error"[^>]*>The password is wrong\./);
    const mismatch = await post({ current: user.password, password: 'n1', confirm: 'n2' });
    assert.equal(mismatch.status, 400);
    assert.match(await mismatch.text(), /The two new passwords differ/);
    const empty = await post({ current: user.password, password: '', confirm: '' });
    assert.equal(empty.status, 400);
    assert.match(await empty.text(), /Enter a new password/);
    const long = 'x'.repeat(1025);
    const tooLong = await post({ current: user.password, password: long, confirm: long });
    assert.equal(tooLong.status, 400);
    assert.match(await tooLong.text(), /too long: at most 1,?024 characters/);
    const control = await post({ current: user.password, password: 'bell\u0007', confirm: 'bell\u0007' });
    assert.equal(control.status, 400);
    assert.match(await control.text(), /characters that cannot be sent/);
    // Without a valid CSRF token nothing happens at all.
    assert.equal((await browser.post('/account/password', { _csrf: 'forged', current: user.password, password: 'n1', confirm: 'n1' })).status, 403);

    assert.equal(await rawLogin(user.jid, user.password), true, 'the password is unchanged');
  });

  test('account deletion: a wrong typed address is refused; the right one deletes it on Prosody and in Parley, every tab is told', async () => {
    const user = await stack.newUser('delete');
    const first = await signedIn(user.jid, user.password, true);
    const secondTab = first.browser.tab();
    tabs.push(secondTab);
    await secondTab.waitFor('hello');
    const second = await signedIn(user.jid, user.password);
    const accountId = stack.parley.sessions.sessions().find((s) => s.jid === user.jid)!.accountId;
    // Something stored: a message to ourselves' contact.
    const peer = await stack.newUser('delpeer');
    await first.tab.command('send', { to: peer.jid, body: 'kept until deletion', originId: crypto.randomUUID() });

    const csrf = await first.browser.csrf('/account');
    const typo = await first.browser.post('/account/delete', { _csrf: csrf, jid: `x${user.jid}`, password: user.password });
    assert.equal(typo.status, 400);
    assert.match(await typo.text(), /not this account’s address\. Nothing was deleted/);
    const badPassword = await first.browser.post('/account/delete', { _csrf: csrf, jid: user.jid, password: 'wrong' });
    assert.equal(badPassword.status, 401);
    assert.equal(await rawLogin(user.jid, user.password), true, 'still there');

    // The typed address may differ in case and surrounding spaces.
    const res = await first.browser.post('/account/delete', { _csrf: csrf, jid: ` ${user.jid.toUpperCase()} `, password: user.password });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login?notice=deleted');
    for (const t of [first.tab, secondTab, second.tab]) assert.deepEqual(await t.waitFor('logout'), { reason: 'account-deleted' });
    await until(async () => !first.tab.socket.connected && !secondTab.socket.connected && !second.tab.socket.connected, 'tabs disconnected');

    assert.equal(await rawLogin(user.jid, user.password), false, 'gone on Prosody');
    assert.equal(await stack.parley.stores.accounts.byId(accountId), null, 'gone in Parley');
    const counts = await stack.parley.db.pool.query(
      `SELECT (SELECT count(*) FROM "Message" WHERE "accountId" = $1) AS m, (SELECT count(*) FROM "BrowserSession" WHERE "accountId" = $1) AS s, (SELECT count(*) FROM "Contact" WHERE "accountId" = $1) AS c`,
      [accountId],
    );
    assert.deepEqual(counts.rows[0], { m: '0', s: '0', c: '0' });
    assert.equal(stack.parley.sessions.byAccountId(accountId), undefined);
    assert.equal((await second.browser.request('/')).headers.get('location'), '/login');
    assert.match(await (await first.browser.request('/login?notice=deleted')).text(), /data-testid="login-notice">Your account was deleted/);
  });

  test('sign out another browser: its tab is disconnected and its cookie dead; this browser keeps working', async () => {
    const user = await stack.newUser('browsers');
    const one = await signedIn(user.jid, user.password);
    const two = await signedIn(user.jid, user.password);

    const page = await (await one.browser.request('/account')).text();
    const ids = [...page.matchAll(/data-testid="account-browser" data-browser-id="([0-9a-f]{64})"( data-this="true")?/g)];
    assert.equal(ids.length, 2, page.slice(0, 2000));
    assert.equal(ids.filter((m) => m[2]).length, 1, 'one is this browser');
    const otherId = ids.find((m) => !m[2])![1]!;
    assert.match(page, /Node\.js|Unknown browser|node/i);

    const csrf = await one.browser.csrf('/account');
    // This browser is not signed out here (that is "Log out").
    const self = ids.find((m) => m[2])![1]!;
    assert.equal((await one.browser.post('/account/browsers/signout', { _csrf: csrf, browser: self })).status, 400);
    const res = await one.browser.post('/account/browsers/signout', { _csrf: csrf, browser: otherId });
    assert.equal(res.status, 303);
    assert.deepEqual(await two.tab.waitFor('logout'), { reason: 'signed-out' });
    await until(async () => !two.tab.socket.connected, 'the other tab is disconnected');
    assert.equal((await two.browser.request('/')).headers.get('location'), '/login', 'its cookie is dead');
    const again = two.browser.tab();
    tabs.push(again);
    await again.waitFor('logout');

    // The first browser is unaffected.
    assert.equal(one.tab.socket.connected, true);
    await one.tab.command('visibility', { visible: true });
    assert.equal((await one.browser.request('/')).status, 200);
    assert.equal((await one.browser.post('/account/browsers/signout', { _csrf: csrf, browser: otherId })).status, 404, 'already gone');
  });
});

describe('hostile server', () => {
  before(async () => {
    hostile = await HostileXmppServer.start();
  });
  after(async () => {
    await hostile?.stop();
  });
  useStack(() => TestStack.start({ services: [hostile.service] }));

  test('the XMPP server refuses (not-allowed, not-acceptable with its text): said in words, escaped; nothing kept changes', async () => {
    // A server that refuses password changes on command (it accepts any password at login).
    const jid = `refused@${hostile.domain}`;
    const { browser } = await signedIn(jid, 'old-password');
    const server = await hostile.sessionOf(jid);
    const csrf = await browser.csrf('/account');
    const post = () => browser.post('/account/password', { _csrf: csrf, current: 'old-password', password: 'n3w', confirm: 'n3w' });

    server.iqRefusals.set('jabber:iq:register', { condition: 'not-allowed', type: 'cancel' });
    const notAllowed = await post();
    assert.equal(notAllowed.status, 403);
    assert.match(await notAllowed.text(), /Your XMPP server does not allow this\./);

    server.iqRefusals.set('jabber:iq:register', { condition: 'not-acceptable', type: 'modify', text: '<b>too weak</b>' });
    const weak = await post();
    assert.equal(weak.status, 400);
    const html = await weak.text();
    assert.match(html, /Your XMPP server did not accept this password\. It said: “&lt;b&gt;too weak&lt;\/b&gt;”/);
    assert.equal(html.includes('<b>too weak'), false);

    // The old password still joins the live session: Parley's verifier did not move.
    assert.equal((await new HttpBrowser(stack.url).login(jid, 'old-password')).status, 303);
    // Deletion refused by the server: the account stays in Parley.
    server.iqRefusals.set('jabber:iq:register', { condition: 'not-allowed', type: 'cancel' });
    const accountId = stack.parley.sessions.sessions().find((s) => s.jid === jid)!.accountId;
    const del = await browser.post('/account/delete', { _csrf: csrf, jid, password: 'old-password' });
    assert.equal(del.status, 403);
    assert.ok(await stack.parley.stores.accounts.byId(accountId));
  });
});
