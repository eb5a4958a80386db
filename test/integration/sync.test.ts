/**
 * History without gaps: carbons, archive catch-up, forged stanzas, receipts and markers, ordering, dedup —
 * Parley against a real Prosody, with plain XMPP clients as the other clients and contacts.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { xml } from '@xmpp/xml';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  const cleanup: (() => unknown)[] = [];

  before(async () => {
    stack = await TestStack.start({ server: kind });
  });
  after(async () => {
    for (const c of cleanup.reverse()) await c();
    await stack?.close();
  });

  async function peer(jid: string, password: string, resource?: string) {
    const p = await XmppPeer.login(stack.server, jid, password, resource);
    cleanup.push(() => p.stop());
    return p;
  }

  async function historyBodies(tab: TestTab, peerJid: string): Promise<string[]> {
    const page = await tab.command('history', { peer: peerJid, limit: 100 });
    return page.messages.map((m) => m.body ?? '').reverse();
  }

  test('messages sent and received on another client of the account appear through carbons', async () => {
    const alice = await stack.loggedIn('carb-a');
    const bob = await stack.newUser('carb-b');
    const phone = await peer(alice.jid, alice.password, 'phone');
    await phone.enableCarbons();
    const bobClient = await peer(bob.jid, bob.password);

    const sent = `sent from the phone ${randomUUID()}`;
    await phone.sendChat(bob.jid, sent);
    const out = await alice.tab.waitFor('message', (e) => e.message.body === sent);
    assert.equal(out.message.direction, 'out');
    assert.equal(out.message.peer, bob.jid);

    const toPhone = `to the phone only ${randomUUID()}`;
    await bobClient.sendChat(phone.jid, toPhone); // full JID: Parley gets it as a 'received' carbon
    const inc = await alice.tab.waitFor('message', (e) => e.message.body === toPhone);
    assert.equal(inc.message.direction, 'in');
    assert.equal(inc.message.peer, bob.jid);
  });

  test('forged carbons and forged archive results from another account are dropped', async () => {
    const alice = await stack.loggedIn('forge-a');
    const mallory = await stack.newUser('forge-m');
    const evil = await peer(mallory.jid, mallory.password);
    const fullJid = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!.conn.jid;
    const forged = `forged ${randomUUID()}`;
    const forgedMessage = () => xml('message', { from: `bob@${stack.server.domain}/x`, to: alice.jid, type: 'chat' }, xml('body', {}, forged));
    const inner = forgedMessage();
    await evil.sendRaw(xml('message', { to: fullJid, type: 'chat' }, xml('received', { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner))));
    await evil.sendRaw(
      xml('message', { to: fullJid }, xml('result', { xmlns: 'urn:xmpp:mam:2', queryid: 'x', id: 'y' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2020-01-01T00:00:00Z' }), forgedMessage()))),
    );
    const marker = `after the forgeries ${randomUUID()}`;
    await evil.sendChat(alice.jid, marker);
    await alice.tab.waitFor('message', (e) => e.message.body === marker);
    assert.equal(alice.tab.events.some((e) => JSON.stringify(e.payload).includes(forged)), false);
    const stored = await stack.parley.stores.messages.page(stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!.accountId, `bob@${stack.server.domain}`, { limit: 10 });
    assert.equal(stored.length, 0);
  });

  test('messages that only reached another client while Parley was away come from the archive, once, in order', async () => {
    const alice = await stack.newUser('mam-a');
    const bob = await stack.newUser('mam-b');
    const phone = await peer(alice.jid, alice.password, 'phone');
    const bobClient = await peer(bob.jid, bob.password);
    const bodies = Array.from({ length: 30 }, (_, i) => `archived ${i}`);
    for (const b of bodies) await bobClient.sendChat(alice.jid, b);
    await phone.waitForMessage((el) => el.getChildText('body') === bodies.at(-1));

    const browser = new HttpBrowser(stack.url);
    assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
    const tab = browser.tab();
    cleanup.push(() => tab.close());
    await tab.waitFor('hello');
    const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
    await session.archive.catchUp();
    assert.deepEqual(await historyBodies(tab, bob.jid), bodies);

    // A second catch-up (as after a reconnect) stores nothing twice.
    await session.archive.catchUp();
    assert.deepEqual(await historyBodies(tab, bob.jid), bodies);
  });

  test('a message that arrives live and again from the archive is stored once', async () => {
    const alice = await stack.loggedIn('dedup-a');
    const bob = await stack.newUser('dedup-b');
    const bobClient = await peer(bob.jid, bob.password);
    const body = `live and archived ${randomUUID()}`;
    await bobClient.sendChat(alice.jid, body);
    await alice.tab.waitFor('message', (e) => e.message.body === body);
    const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
    await session.archive.catchUp();
    const all = await historyBodies(alice.tab, bob.jid);
    assert.equal(all.filter((b) => b === body).length, 1);
  });

  test('delivery receipts and displayed markers update our message; displaying syncs across tabs and tells the peer', async () => {
    const alice = await stack.loggedIn('rcpt-a');
    const bob = await stack.newUser('rcpt-b');
    const bobClient = await peer(bob.jid, bob.password);
    const secondTab = alice.openTab();
    await secondTab.waitFor('hello');

    const sent = await alice.tab.command('send', { to: bob.jid, body: 'did you get it?', originId: randomUUID() });
    const atBob = await bobClient.waitForMessage((el) => el.getChildText('body') === 'did you get it?');
    const id = String(atBob.attrs.id);
    assert.equal(id, sent.message.originId);
    await bobClient.sendRaw(xml('message', { to: alice.jid, type: 'chat' }, xml('received', { xmlns: 'urn:xmpp:receipts', id })));
    await alice.tab.waitFor('message', (e) => e.message.id === sent.message.id && e.message.state === 'delivered');
    await bobClient.sendRaw(xml('message', { to: alice.jid, type: 'chat' }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id })));
    await secondTab.waitFor('message', (e) => e.message.id === sent.message.id && e.message.state === 'displayed');

    // Bob's message asks for a receipt: Parley answers it.
    const bobMsgId = await bobClient.sendChat(alice.jid, 'yes, and you?', { extra: [xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' })] });
    const incoming = await alice.tab.waitFor('message', (e) => e.message.body === 'yes, and you?');
    await bobClient.waitForMessage((el) => el.getChild('received', 'urn:xmpp:receipts')?.attrs.id === bobMsgId);

    const third = alice.openTab();
    const hello = await third.waitFor('hello');
    assert.equal(hello.conversations.find((c) => c.peer === bob.jid)?.unread, 1);
    await alice.tab.command('markDisplayed', { peer: bob.jid, id: incoming.message.id });
    await secondTab.waitFor('read', (e) => e.peer === bob.jid && e.upTo === incoming.message.id);
    await bobClient.waitForMessage((el) => el.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id === bobMsgId);
    const again = alice.openTab();
    assert.equal((await again.waitFor('hello')).conversations.find((c) => c.peer === bob.jid)?.unread, 0);
  });

  test('a late message with an older delay stamp is placed in order', async () => {
    const alice = await stack.loggedIn('order-a');
    const bob = await stack.newUser('order-b');
    const bobClient = await peer(bob.jid, bob.password);
    await bobClient.sendChat(alice.jid, 'second');
    await alice.tab.waitFor('message', (e) => e.message.body === 'second');
    // Within the skew bound a contact's delay is believed (further back it is only a claim: trust-stamps.test.ts).
    await bobClient.sendChat(alice.jid, 'first', { extra: [xml('delay', { xmlns: 'urn:xmpp:delay', stamp: new Date(Date.now() - 120_000).toISOString() })] });
    await alice.tab.waitFor('message', (e) => e.message.body === 'first');
    await sleep(50);
    assert.deepEqual(await historyBodies(alice.tab, bob.jid), ['first', 'second']);
  });

  test('a delay stamp with whole seconds does not jump before what was stored earlier in that second', async () => {
    const alice = await stack.loggedIn('second-a');
    const bob = await stack.newUser('second-b');
    const bobClient = await peer(bob.jid, bob.password);
    await bobClient.sendChat(alice.jid, 'live first');
    const live = await alice.tab.waitFor('message', (e) => e.message.body === 'live first');
    // As offline delivery stamps it: the same second, without milliseconds.
    const sameSecond = new Date(Math.floor(Date.parse(live.message.stamp) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    await bobClient.sendChat(alice.jid, 'delayed later', { extra: [xml('delay', { xmlns: 'urn:xmpp:delay', stamp: sameSecond })] });
    await alice.tab.waitFor('message', (e) => e.message.body === 'delayed later');
    assert.deepEqual(await historyBodies(alice.tab, bob.jid), ['live first', 'delayed later']);
  });

  test('a message the server bounces with an error is shown as failed', async () => {
    const alice = await stack.loggedIn('bounce-a');
    const sent = await alice.tab.command('send', { to: `nobody-here@${stack.server.domain}`, body: 'into the void', originId: randomUUID() });
    const failed = await alice.tab.waitFor('message', (e) => e.message.id === sent.message.id && e.message.state === 'failed');
    assert.equal(failed.message.body, 'into the void');
  });

  test("reading a conversation on another client of the account clears Parley's unread state (carbon of our marker)", async () => {
    const alice = await stack.loggedIn('readelse-a');
    const bob = await stack.newUser('readelse-b');
    const bobClient = await peer(bob.jid, bob.password);
    const phone = await peer(alice.jid, alice.password, 'phone');
    await phone.enableCarbons();
    const id = await bobClient.sendChat(alice.jid, 'read me on your phone', { extra: [xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' })] });
    const incoming = await alice.tab.waitFor('message', (e) => e.message.body === 'read me on your phone');
    await phone.sendRaw(xml('message', { to: bob.jid, type: 'chat' }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id })));
    await alice.tab.waitFor('read', (e) => e.peer === bob.jid && e.upTo === incoming.message.id);
    const fresh = alice.openTab();
    assert.equal((await fresh.waitFor('hello')).conversations.find((c) => c.peer === bob.jid)?.unread, 0);
  });
});
