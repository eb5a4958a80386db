/**
 * Blocking Command (XEP-0191) on real Prosody (mod_blocklist) and ejabberd (mod_blocking): block from one tab, and the account's other tab and
 * its other raw client see it (pushes); a pending request of the blocked JID is denied and its presence forgotten;
 * nothing it sends reaches a tab; unblock works both ways; a blocklist push from a stranger is refused. And against a
 * server without XEP-0191 (the hostile test server): Parley drops what a blocked JID sends on its own.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, HttpBrowser } from '../harness/parley.js';
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

function collect(p: XmppPeer): Element[] {
  const seen: Element[] = [];
  p.conn.on('stanza', (el: Element) => seen.push(el));
  return seen;
}

for (const kind of testServers()) describe(serverLabel(kind), () => {
  useStack(() => TestStack.start({ server: kind }));

  test('block from one tab: the other tab and the account\'s other client see it; nothing of theirs arrives; unblock', async () => {
    const alice = await stack.loggedIn('blk');
    const session = () => stack.parley.sessions.byAccountId(alice.accountId)!;
    assert.equal(session().blocking.supported, true, 'the server offers urn:xmpp:blocking');
    assert.deepEqual(await alice.tab.command('blocklist', {}), { jids: [], supported: true });
    const second = alice.openTab();
    await second.waitFor('hello');

    // Alice's other client asked for the blocklist: an interested resource, it gets pushes (XEP-0191 §3.3).
    const other = await peer(alice.jid, alice.password);
    const otherPushes: Element[] = [];
    other.conn.onIq('set', NS.blocking, (iq) => {
      otherPushes.push(iq);
      return xml('iq', { type: 'result' });
    });
    await other.conn.iq(xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS.blocking })));

    // Bob shows his presence to Alice's Parley resource and asks to see hers.
    const bobUser = await stack.newUser('blkbob');
    const bob = await peer(bobUser.jid, bobUser.password);
    const bobSeen = collect(bob);
    await bob.conn.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster })));
    const parleyFull = session().conn.jid!;
    await bob.sendRaw(xml('presence', { to: parleyFull }, xml('status', {}, 'here')));
    await alice.tab.waitFor('presence', (e) => e.jid === bobUser.jid && e.show === 'available');
    await bob.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await alice.tab.waitFor('subscriptionRequests', (e) => e.requests.some((r) => r.jid === bobUser.jid));

    // Block from the first tab.
    await alice.tab.command('block', { jid: bobUser.jid.toUpperCase() });
    await second.waitFor('blocklist', (e) => e.jids.includes(bobUser.jid));
    await until(async () => otherPushes.some((p) => p.getChild('block', NS.blocking)?.getChild('item')?.attrs.jid === bobUser.jid), 'the other client got the push');
    assert.equal(session().blocking.isBlocked(bobUser.jid), true);
    // His request is denied, his presence forgotten.
    await until(async () => bobSeen.some((el) => el.name === 'presence' && el.attrs.type === 'unsubscribed'), 'Bob was told no');
    await second.waitFor('subscriptionRequests', (e) => !e.requests.some((r) => r.jid === bobUser.jid));
    await second.waitFor('presence', (e) => e.jid === bobUser.jid && e.show === 'unavailable');

    // Nothing he sends reaches a tab: messages, presence, a new request.
    const eventsBefore = alice.tab.events.length;
    await bob.sendRaw(xml('message', { to: alice.jid, type: 'chat', id: 'blocked1' }, xml('body', {}, 'let me in')));
    await bob.sendRaw(xml('presence', { to: parleyFull }, xml('status', {}, 'still here')));
    await bob.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await sleep(800);
    const leaked = alice.tab.events.slice(eventsBefore).filter((e) => JSON.stringify(e.payload).includes(bobUser.jid));
    assert.deepEqual(leaked.map((e) => e.name), [], 'no event about Bob');
    assert.equal((await alice.tab.command('history', { peer: bobUser.jid, limit: 50 })).messages.length, 0, 'nothing stored');

    // Unblock from the second tab: the first tab and the other client see it, and his messages arrive again.
    await second.command('unblock', { jid: bobUser.jid });
    await alice.tab.waitFor('blocklist', (e) => !e.jids.includes(bobUser.jid));
    await until(async () => otherPushes.some((p) => p.getChild('unblock', NS.blocking)?.getChild('item')?.attrs.jid === bobUser.jid), 'the other client got the unblock push');
    await bob.sendRaw(xml('message', { to: alice.jid, type: 'chat', id: 'welcome1' }, xml('body', {}, 'hello again')));
    await alice.tab.waitFor('message', (e) => e.message.body === 'hello again');

    // Blocked by the account's other client: the push reaches Parley, every tab shows it; unblock-all clears it.
    await other.conn.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: NS.blocking }, xml('item', { jid: 'spam.example' }))));
    const byOther = await second.waitFor('blocklist', (e) => e.jids.includes('spam.example'));
    assert.deepEqual(byOther.jids, ['spam.example']);
    assert.equal(session().blocking.isBlocked('anyone@spam.example'), true, 'a domain block covers its JIDs');
    await other.conn.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: NS.blocking })));
    await alice.tab.waitFor('blocklist', (e) => e.jids.length === 0);

    // Refused at the door or by the session: not a JID, ourselves.
    assert.equal((await alice.tab.rawCommand('block', { jid: 'not a jid' })).ok, false);
    assert.match((await alice.tab.rawCommand('block', { jid: alice.jid })).error ?? '', /yourself/);
    assert.equal((await alice.tab.rawCommand('block', { jid: `${'j'.repeat(100_000)}@example.org` })).ok, false);
    second.close();
  });

  test('a blocklist push from a stranger is refused and changes nothing', async () => {
    const alice = await stack.loggedIn('blkstr');
    const session = stack.parley.sessions.byAccountId(alice.accountId)!;
    const mallory = await stack.newUser('blkmallory');
    const m = await peer(mallory.jid, mallory.password);
    const eventsBefore = alice.tab.events.length;
    for (const payload of [
      xml('block', { xmlns: NS.blocking }, xml('item', { jid: 'friend@example.org' })),
      xml('unblock', { xmlns: NS.blocking }),
    ]) {
      const err = await m.conn.iq(xml('iq', { type: 'set', to: session.conn.jid! }, payload)).then(() => null, (e: unknown) => e as { condition?: string });
      assert.equal(err?.condition, 'service-unavailable', 'the stranger learns nothing');
    }
    assert.deepEqual(session.blocking.list(), []);
    await sleep(300);
    assert.equal(alice.tab.events.slice(eventsBefore).some((e) => e.name === 'blocklist'), false);
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

  test('a server without XEP-0191: block is refused, but a server push still blocks, and Parley drops what the JID sends', async () => {
    const bare = `blockless@${hostile.domain}`;
    const browser = new HttpBrowser(stack.url);
    assert.equal((await browser.login(bare, 'any-password')).status, 303);
    const hs = await hostile.sessionOf(bare);
    const tab = browser.tab();
    await tab.waitFor('hello');
    const first = await tab.command('blocklist', {});
    assert.deepEqual(first, { jids: [], supported: false });
    assert.match((await tab.rawCommand('block', { jid: `x@${hostile.domain}` })).error ?? '', /does not support blocking/);

    const answers: Element[] = [];
    hs.on('stanza', (el: Element) => answers.push(el));
    // A push from a stranger: refused. A push from the server itself (no 'from'): applied.
    await hs.write(`<iq type='set' id='evil' from='eve@${hostile.domain}' to='${hs.jid}'><block xmlns='urn:xmpp:blocking'><item jid='friend@${hostile.domain}'/></block></iq>`);
    await hs.write(`<iq type='set' id='push1' to='${hs.jid}'><block xmlns='urn:xmpp:blocking'><item jid='mallory@${hostile.domain}'/></block></iq>`);
    await tab.waitFor('blocklist', (e) => e.jids.includes(`mallory@${hostile.domain}`));
    const evil = await until(async () => answers.find((el) => el.attrs.id === 'evil'), 'the stranger was answered');
    assert.equal(evil.attrs.type, 'error');
    const ok = await until(async () => answers.find((el) => el.attrs.id === 'push1'), 'the push was acknowledged');
    assert.equal(ok.attrs.type, 'result');
    assert.equal(ok.children.length, 0, 'an empty result');
    assert.deepEqual((await tab.command('blocklist', {})).jids, [`mallory@${hostile.domain}`]);

    // This server does not drop what mallory sends: Parley does. A message, a carbon, a presence, a request; then a friend.
    const before = tab.events.length;
    await hs.write(
      `<message type='chat' from='mallory@${hostile.domain}/x' to='${hs.jid}' id='b1'><body>blocked body</body></message>` +
      `<message from='${bare}' to='${hs.jid}'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
      `<message type='chat' from='mallory@${hostile.domain}/x' to='${bare}/other' id='b2'><body>blocked carbon</body></message></forwarded></received></message>` +
      `<presence from='mallory@${hostile.domain}/x' to='${hs.jid}'><status>blocked status</status></presence>` +
      `<presence type='subscribe' from='mallory@${hostile.domain}' to='${bare}'/>` +
      `<message type='chat' from='friend@${hostile.domain}/x' to='${hs.jid}' id='f1'><body>friendly body</body></message>`,
    );
    await tab.waitFor('message', (e) => e.message.body === 'friendly body');
    const leaked = tab.events.slice(before).filter((e) => JSON.stringify(e.payload).includes('mallory'));
    assert.deepEqual(leaked.map((e) => e.name), [], 'nothing of mallory reached the tab');
    assert.equal((await tab.command('history', { peer: `mallory@${hostile.domain}`, limit: 50 })).messages.length, 0, 'and nothing was stored');

    // Unblocked by a server push: mallory's messages arrive again.
    await hs.write(`<iq type='set' id='push2' to='${hs.jid}'><unblock xmlns='urn:xmpp:blocking'><item jid='mallory@${hostile.domain}'/></unblock></iq>`);
    await tab.waitFor('blocklist', (e) => e.jids.length === 0);
    await hs.write(`<message type='chat' from='mallory@${hostile.domain}/x' to='${hs.jid}' id='b3'><body>now heard</body></message>`);
    await tab.waitFor('message', (e) => e.message.body === 'now heard');
    tab.close();
  });
});
