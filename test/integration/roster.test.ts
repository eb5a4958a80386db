/**
 * Roster and subscriptions (RFC 6121) on real Prosody and ejabberd (the test matrix): versioning across XMPP sessions, names and groups, pushes
 * from the account's other client, subscription requests answered from a tab (approve, deny, mutual in one step,
 * approved elsewhere), and what a hostile server sends: a roster push from a stranger, a flood of 1,000 requests.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, HttpBrowser, type LoggedIn, type TestTab } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';
import { HostileXmppServer } from '../harness/hostile-xmpp.js';
import { until } from '../harness/poll.js';
import { NS } from '../../server/stanza/ns.js';

let stack: TestStack;
let hostile: HostileXmppServer;
const peers: XmppPeer[] = [];

/** Each describe starts its own stack; tests run one at a time, so `stack` is the current describe's. */
function useStack(start: () => Promise<TestStack>): void {
  before(async () => {
    stack = await start();
  });
  after(async () => {
    for (const p of peers.splice(0)) await p.stop().catch(() => undefined);
    await stack?.close();
  });
}

async function peer(jid: string, password: string): Promise<XmppPeer> {
  const p = await XmppPeer.login(stack.server, jid, password);
  peers.push(p);
  return p;
}

/** Presence stanzas a raw client receives, to wait on. */
function presences(p: XmppPeer): { seen: Element[]; next: (test: (el: Element) => boolean) => Promise<Element> } {
  const seen: Element[] = [];
  let waiters: { test: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  p.conn.on('stanza', (el: Element) => {
    if (el.name !== 'presence') return;
    seen.push(el);
    waiters = waiters.filter((w) => (w.test(el) ? (w.resolve(el), false) : true));
  });
  return {
    seen,
    next: (t) => {
      const done = seen.find(t);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such presence; got: ${seen.map(String).join(' ').slice(-1500)}`)), 10_000);
        waiters.push({ test: t, resolve: (el) => (clearTimeout(timer), resolve(el)) });
      });
    },
  };
}

const rosterItem = (jid: string, name: string, groups: string[]) =>
  xml('iq', { type: 'set' }, xml('query', { xmlns: NS.roster }, xml('item', { jid, name }, ...groups.map((g) => xml('group', {}, g)))));

for (const kind of testServers()) describe(serverLabel(kind), () => {
  useStack(() => TestStack.start({ server: kind }));

  test('roster versioning: a new XMPP session with the stored version fetches nothing; changes made meanwhile arrive', async () => {
    const alice = await stack.loggedIn('ver');
    const session = () => stack.parley.sessions.byAccountId(alice.accountId)!;
    assert.equal(session().conn.offers('ver', NS.rosterVer), true, 'the server offers roster versioning');
    const bob = await stack.newUser('verbob');
    await alice.tab.command('addContact', { jid: bob.jid, name: 'Bob', groups: ['Friends', 'Work'] });
    const added = await alice.tab.waitFor('contact', (e) => e.contact.jid === bob.jid && e.contact.groups.length === 2);
    assert.deepEqual([added.contact.name, [...added.contact.groups].sort()], ['Bob', ['Friends', 'Work']]);
    const ver1 = await stack.parley.stores.contacts.version(alice.accountId);
    assert.ok(ver1, 'the version of the push is stored with the contact');

    // Alice's other client adds Carol: a push reaches the tab live, and the stored version moves on.
    const other = await peer(alice.jid, alice.password);
    await other.conn.iq(rosterItem('carol@example.net', 'Carol', ['Work']));
    await alice.tab.waitFor('contact', (e) => e.contact.jid === 'carol@example.net' && e.contact.name === 'Carol');
    await until(async () => (await stack.parley.stores.contacts.version(alice.accountId)) !== ver1, 'the stored version follows the push');

    // Every push the server sent is stored (the subscription request made its own): ask the server whether the stored
    // version is its current one, as Parley's next session will.
    await until(async () => {
      const held = await stack.parley.stores.contacts.version(alice.accountId);
      const answer = await other.conn.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster, ver: held ?? '' })));
      return !answer.getChild('query', NS.roster);
    }, 'the stored roster version is the current one');

    // A new XMPP session: the stored copy is current, the server sends nothing.
    await alice.browser.logout();
    const again = new HttpBrowser(stack.url);
    assert.equal((await again.login(alice.jid, alice.password)).status, 303);
    const tab = again.tab();
    const hello = await tab.waitFor('hello');
    assert.equal(session().roster.lastSync, 'unchanged');
    assert.deepEqual(hello.contacts.map((c) => c.jid).sort(), [bob.jid, 'carol@example.net'].sort());

    // Changed while Parley was away: the next session learns it, whichever way the server sends it (full or pushes).
    await again.logout();
    await other.conn.iq(rosterItem('carol@example.net', 'Caroline', ['Family']));
    const third = new HttpBrowser(stack.url);
    assert.equal((await third.login(alice.jid, alice.password)).status, 303);
    const tab3 = third.tab();
    await tab3.waitFor('hello');
    const carol = () => session().roster.get('carol@example.net');
    await until(async () => carol()?.name === 'Caroline', 'the rename made elsewhere arrived');
    assert.deepEqual(carol()!.groups, ['Family']);
    const stored = await stack.parley.stores.contacts.list(alice.accountId);
    assert.equal(stored.find((c) => c.jid === 'carol@example.net')?.name, 'Caroline');
    tab.close();
    tab3.close();
  });

  test('rename and move between groups from one tab: every tab and the other client see it', async () => {
    const alice = await stack.loggedIn('groups');
    const second = alice.openTab();
    await second.waitFor('hello');
    const other = await peer(alice.jid, alice.password);
    const pushes: Element[] = [];
    // Only a client that fetched the roster gets pushes (an "interested resource", RFC 6121 §2.1.6).
    await other.conn.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster })));
    other.conn.onIq('set', NS.roster, (iq) => {
      pushes.push(iq);
      return xml('iq', { type: 'result' });
    });
    await alice.tab.command('addContact', { jid: 'dora@example.net', name: 'Dora', groups: ['Friends'] });
    await second.waitFor('contact', (e) => e.contact.jid === 'dora@example.net');
    await alice.tab.command('updateContact', { jid: 'dora@example.net', name: 'Dora the Explorer', groups: ['Travel', 'Friends'] });
    const moved = await second.waitFor('contact', (e) => e.contact.name === 'Dora the Explorer');
    assert.deepEqual([...moved.contact.groups].sort(), ['Friends', 'Travel']);
    await until(async () => pushes.some((p) => p.toString().includes('Dora the Explorer')), 'the other client got the push');
    await alice.tab.command('updateContact', { jid: 'dora@example.net', name: null, groups: [] });
    const plain = await second.waitFor('contact', (e) => e.contact.jid === 'dora@example.net' && e.contact.groups.length === 0);
    assert.equal(plain.contact.name, null);
    await alice.tab.command('removeContact', { jid: 'dora@example.net' });
    await second.waitFor('contact', (e) => e.contact.jid === 'dora@example.net' && e.contact.subscription === 'remove');
    // A name of 100,000 characters is refused at the door, not cut silently somewhere later.
    const huge = await alice.tab.rawCommand('addContact', { jid: 'e@example.net', name: 'n'.repeat(100_000), groups: [] });
    assert.equal(huge.ok, false);
  });

  test('subscription requests: nickname shown, approve is mutual in one step, deny, add-when-asked, approved by another client', async () => {
    const alice = await stack.loggedIn('subs');
    const second = alice.openTab();
    await second.waitFor('hello');
    const asking = async (prefix: string) => {
      const user = await stack.newUser(prefix);
      const p = await peer(user.jid, user.password);
      // An interested resource (it fetched the roster): the server delivers subscription answers to it.
      await p.conn.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster })));
      return { ...user, p, seen: presences(p) };
    };
    const requestOf = (tab: TestTab, jid: string) => tab.waitFor('subscriptionRequests', (e) => e.requests.some((r) => r.jid === jid));
    const noRequestOf = (tab: TestTab, jid: string) => tab.waitFor('subscriptionRequests', (e) => !e.requests.some((r) => r.jid === jid) && tab.events.some((x) => x.name === 'subscriptionRequests' && JSON.stringify(x.payload).includes(jid)));

    // Approve: Bob asked with a nickname; Alice lets him see her and asks back; Bob's client accepts; both ways.
    const bob = await asking('subbob');
    await bob.p.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }, xml('nick', { xmlns: NS.nick }, 'Bobby <script>')));
    const asked = await requestOf(second, bob.jid);
    assert.equal(asked.requests.find((r) => r.jid === bob.jid)?.nick, 'Bobby <script>');
    await alice.tab.command('approveSubscription', { jid: bob.jid });
    await bob.seen.next((el) => el.attrs.type === 'subscribed' && String(el.attrs.from).startsWith(alice.jid));
    await bob.seen.next((el) => el.attrs.type === 'subscribe' && String(el.attrs.from).startsWith(alice.jid));
    await bob.p.sendRaw(xml('presence', { to: alice.jid, type: 'subscribed' }));
    await second.waitFor('contact', (e) => e.contact.jid === bob.jid && e.contact.subscription === 'both');
    await noRequestOf(second, bob.jid);
    const approvedAgain = await alice.tab.rawCommand('approveSubscription', { jid: bob.jid });
    assert.match(approvedAgain.error ?? '', /no longer pending/);

    // Deny: Carol is told no, and nothing joins Alice's roster.
    const carol = await asking('subcarol');
    await carol.p.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await requestOf(alice.tab, carol.jid);
    await second.command('denySubscription', { jid: carol.jid });
    await carol.seen.next((el) => el.attrs.type === 'unsubscribed');
    await noRequestOf(alice.tab, carol.jid);
    assert.equal(stack.parley.sessions.byAccountId(alice.accountId)!.roster.has(carol.jid), false);

    // Adding someone who asked first approves them at once.
    const dave = await asking('subdave');
    await dave.p.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await requestOf(alice.tab, dave.jid);
    await alice.tab.command('addContact', { jid: dave.jid, name: 'Dave', groups: [] });
    await dave.seen.next((el) => el.attrs.type === 'subscribed');
    await dave.seen.next((el) => el.attrs.type === 'subscribe');
    await noRequestOf(second, dave.jid);

    // Approved by Alice's other client: the roster push (subscription 'from') clears the request in every tab.
    const erin = await asking('suberin');
    await erin.p.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await requestOf(second, erin.jid);
    const other = await peer(alice.jid, alice.password);
    await other.sendRaw(xml('presence', { to: erin.jid, type: 'subscribed' }));
    await noRequestOf(second, erin.jid);

    // Withdrawn: Frank asks, then unsubscribes before anyone answers.
    const frank = await asking('subfrank');
    await frank.p.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await requestOf(alice.tab, frank.jid);
    await frank.p.sendRaw(xml('presence', { to: alice.jid, type: 'unsubscribe' }));
    await noRequestOf(alice.tab, frank.jid);
  });

  test('own presence chosen in one tab shows in every tab; a contact with two clients shows the best, the rest listed', async () => {
    const alice = await stack.loggedIn('own');
    const second = alice.openTab();
    await second.waitFor('hello');
    await alice.tab.command('setPresence', { show: 'dnd', status: 'in a meeting' });
    const own = await second.waitFor('ownPresence', (e) => e.show === 'dnd');
    assert.equal(own.status, 'in a meeting');

    const bob = await stack.newUser('ownbob');
    const phone = await peer(bob.jid, bob.password);
    const laptop = await peer(bob.jid, bob.password);
    // Listening before asking: the request can reach Bob's phone before addContact's answer reaches the tab.
    const phoneSeen = presences(phone);
    await alice.tab.command('addContact', { jid: bob.jid, name: 'Bob', groups: [] });
    await phoneSeen.next((el) => el.attrs.type === 'subscribe');
    await phone.sendRaw(xml('presence', { to: alice.jid, type: 'subscribed' }));
    await phone.sendRaw(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'on the train')));
    await laptop.sendRaw(xml('presence', {}, xml('show', {}, 'chat')));
    const both = await second.waitFor('presence', (e) => e.jid === bob.jid && e.resources.length === 2 && e.resources.some((r) => r.status === 'on the train') && e.show === 'chat');
    assert.deepEqual(both.resources.map((r) => [r.show, r.status]), [['chat', null], ['away', 'on the train']]);
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

  test('hostile server: a roster push from a stranger is refused; 1,000 requests from strangers in a burst become one bounded notice', async () => {
    const bare = `flooded@${hostile.domain}`;
    const browser = new HttpBrowser(stack.url);
    assert.equal((await browser.login(bare, 'any-password')).status, 303);
    const session = await hostile.sessionOf(bare);
    const tab = browser.tab();
    await tab.waitFor('hello');
    const answers: Element[] = [];
    session.on('stanza', (el: Element) => answers.push(el));

    await session.write(`<iq type='set' id='evil1' from='mallory@${hostile.domain}' to='${session.jid}'><query xmlns='jabber:iq:roster'><item jid='mallory@${hostile.domain}' name='trust me' subscription='both'/></query></iq>`);
    const refused = await until(async () => answers.find((el) => el.attrs.id === 'evil1'), 'Parley answers the forged push');
    assert.equal(refused.attrs.type, 'error');
    assert.ok(refused.getChild('error')?.getChild('service-unavailable', NS.stanzas));

    // The burst of 1,000 subscription requests from 1,000 strangers.
    const N = 1000;
    let burst = '';
    for (let i = 0; i < N; i++) burst += `<presence type='subscribe' from='stranger${i}@${hostile.domain}' to='${bare}'><nick xmlns='${NS.nick}'>Stranger ${i}</nick></presence>`;
    const t0 = Date.now();
    await session.write(burst);
    const last = await tab.waitFor('subscriptionRequests', (e) => e.total === N, 20_000);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(last.requests.length, 100, 'the tabs get a bounded list');
    assert.equal(last.requests[0]!.jid, `stranger${N - 1}@${hostile.domain}`, 'newest first');
    const notices = tab.events.filter((e) => e.name === 'subscriptionRequests').length;
    assert.ok(notices <= Math.ceil(seconds) + 3, `${notices} events in ${seconds.toFixed(1)} s: at most about one a second`);
    assert.equal(tab.events.filter((e) => e.name === 'contact').length, 0, 'the forged push reached no tab');
    assert.equal(stack.parley.sessions.byAccountId(stack.parley.sessions.sessions().find((s) => s.jid === bare)!.accountId)!.roster.has(`mallory@${hostile.domain}`), false);

    // Deny all: one <unsubscribed/> each, and the notice is gone.
    const r = await tab.command('denyAllSubscriptions', {});
    assert.equal(r.denied, N);
    await until(async () => answers.filter((el) => el.name === 'presence' && el.attrs.type === 'unsubscribed').length === N, 'every stranger was denied');
    await tab.waitFor('subscriptionRequests', (e) => e.total === 0);
    tab.close();
  });
});
