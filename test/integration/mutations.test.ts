/**
 * Message mutations on a real stack (Parley + Prosody + PostgreSQL): corrections and retractions arriving live, as
 * carbons and from the archive, refused when they name someone else's message; our own corrections and retractions
 * on the wire; delete for me surviving a catch-up; a chat-state flood coalesced. Raw XMPP clients play the contact
 * and the account's other client.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';
import { MAX_VERSIONS } from '../../server/store/mutations.js';

const CORRECT = 'urn:xmpp:message-correct:0';
const RETRACT = 'urn:xmpp:message-retract:1';

const correction = (to: string, replaces: string, body: string, id = randomUUID()) =>
  xml('message', { to, type: 'chat', id }, xml('body', {}, body), xml('replace', { xmlns: CORRECT, id: replaces }), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }));
const retraction = (to: string, originId: string) =>
  xml('message', { to, type: 'chat', id: randomUUID() },
    xml('retract', { xmlns: RETRACT, id: originId }),
    xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: RETRACT }),
    xml('body', {}, 'retracted (fallback)'),
    xml('store', { xmlns: 'urn:xmpp:hints' }));

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
  const session = (jid: string) => stack.parley.sessions.sessions().find((s) => s.jid === jid)!;
  const rows = async (accountId: string, peerJid: string) =>
    (await stack.parley.stores.messages.page(accountId, peerJid, { limit: 100 })).reverse();
  /** Everything the peer sent before `marker` has been handled: stanzas are handled in order. */
  async function through(tab: TestTab, from: XmppPeer, to: string): Promise<void> {
    const marker = `marker ${randomUUID()}`;
    await from.sendChat(to, marker);
    await tab.waitFor('message', (e) => e.message.body === marker);
  }

  test('a contact corrects and retracts live; corrections of someone else’s message or of unknown ids are dropped', async () => {
    const alice = await stack.loggedIn('mut-a');
    const bob = await stack.newUser('mut-b');
    const mallory = await stack.newUser('mut-m');
    const bobClient = await peer(bob.jid, bob.password);
    const evil = await peer(mallory.jid, mallory.password);
    const second = alice.openTab();
    await second.waitFor('hello');

    const id = await bobClient.sendChat(alice.jid, 'teh original');
    const original = await alice.tab.waitFor('message', (e) => e.message.body === 'teh original');
    await alice.tab.command('send', { to: bob.jid, body: 'mine', originId: randomUUID() });
    const mine = (await rows(alice.accountId, bob.jid)).find((r) => r.body === 'mine')!;

    const fixId = randomUUID();
    await bobClient.sendRaw(correction(alice.jid, id, 'the <b>original</b>', fixId).c('request', { xmlns: 'urn:xmpp:receipts' }).root());
    for (const tab of [alice.tab, second]) {
      const e = await tab.waitFor('message', (m) => m.message.id === original.message.id && m.message.version === 1);
      assert.equal(e.message.body, 'the <b>original</b>');
      assert.ok(e.message.editedAt);
    }
    // Bob's client asked for a receipt of the correction and gets one.
    await bobClient.waitForMessage((el) => el.getChild('received', 'urn:xmpp:receipts')?.attrs.id === fixId);
    const versions = await alice.tab.command('versions', { peer: bob.jid, id: original.message.id });
    assert.deepEqual(versions.versions.map((v) => [v.version, v.body]), [[0, 'teh original']]);

    // Mallory names Bob's message; Bob names Alice's own message; Bob names an id nobody sent; a 200 KB correction.
    await evil.sendRaw(correction(alice.jid, id, 'mallory was here'));
    await bobClient.sendRaw(correction(alice.jid, mine.messageId!, 'bob rewrote alice'));
    await bobClient.sendRaw(correction(alice.jid, 'no-such-id', 'correction of nothing'));
    await bobClient.sendRaw(retraction(alice.jid, mine.originId!));
    await evil.sendRaw(retraction(alice.jid, id));
    await through(alice.tab, bobClient, alice.jid);
    await through(alice.tab, evil, alice.jid);
    const all = [...(await rows(alice.accountId, bob.jid)), ...(await rows(alice.accountId, mallory.jid))];
    assert.deepEqual(all.map((r) => r.body).filter((b) => /mallory was here|bob rewrote|correction of nothing|fallback/.test(b ?? '')), []);
    assert.equal(all.find((r) => r.id === mine.id)!.body, 'mine');
    assert.equal(all.find((r) => r.id === original.message.id)!.body, 'the <b>original</b>');
    // The text only: what the spoofs said reached no tab either.
    assert.equal(alice.tab.events.some((e) => JSON.stringify(e.payload).includes('mallory was here')), false);

    // Bob corrects the same message 30 times: the original and the newest MAX_VERSIONS earlier versions are kept.
    for (let i = 0; i < 30; i++) await bobClient.sendRaw(correction(alice.jid, id, `again ${i}`));
    await alice.tab.waitFor('message', (m) => m.message.id === original.message.id && m.message.body === 'again 29');
    const kept = (await alice.tab.command('versions', { peer: bob.jid, id: original.message.id })).versions;
    assert.equal(kept.length, MAX_VERSIONS + 1);
    assert.deepEqual([kept[0]!.body, kept.at(-1)!.body], ['teh original', 'again 28']);

    // Bob retracts his own message: a tombstone everywhere, the text gone from PostgreSQL with its versions.
    await bobClient.sendRaw(retraction(alice.jid, id));
    for (const tab of [alice.tab, second]) {
      const e = await tab.waitFor('message', (m) => m.message.id === original.message.id && m.message.retractedAt !== undefined);
      assert.equal(e.message.body, null);
    }
    const row = (await rows(alice.accountId, bob.jid)).find((r) => r.id === original.message.id)!;
    assert.equal(row.body, null);
    assert.deepEqual((await alice.tab.command('versions', { peer: bob.jid, id: original.message.id })).versions, []);
  });

  test('corrections and retractions from the account’s other client arrive as carbons', async () => {
    const alice = await stack.loggedIn('mutc-a');
    const bob = await stack.newUser('mutc-b');
    const phone = await peer(alice.jid, alice.password, 'phone');
    await phone.enableCarbons();
    await peer(bob.jid, bob.password);

    const id = await phone.sendChat(bob.jid, 'from the phone');
    const out = await alice.tab.waitFor('message', (e) => e.message.body === 'from the phone');
    await phone.sendRaw(correction(bob.jid, id, 'from the phone, corrected'));
    const fixed = await alice.tab.waitFor('message', (e) => e.message.id === out.message.id && e.message.version === 1);
    assert.equal(fixed.message.body, 'from the phone, corrected');
    await phone.sendRaw(retraction(bob.jid, id));
    await alice.tab.waitFor('message', (e) => e.message.id === out.message.id && e.message.retractedAt !== undefined);
  });

  test('corrections and retractions made while Parley was away are applied from the archive, never stored as messages', async () => {
    const alice = await stack.newUser('mutm-a');
    const bob = await stack.newUser('mutm-b');
    const bobClient = await peer(bob.jid, bob.password);
    const phone = await peer(alice.jid, alice.password, 'phone');
    const keep = await bobClient.sendChat(alice.jid, 'keep me');
    const gone = await bobClient.sendChat(alice.jid, 'retract me');
    await bobClient.sendRaw(correction(alice.jid, keep, 'kept and corrected'));
    await bobClient.sendRaw(retraction(alice.jid, gone));
    await phone.waitForMessage((el: Element) => el.getChild('retract', RETRACT) !== undefined);

    const browser = new HttpBrowser(stack.url);
    assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
    const tab = browser.tab();
    cleanup.push(() => tab.close());
    await tab.waitFor('hello');
    await session(alice.jid).archive.catchUp();
    const stored = await rows(session(alice.jid).accountId, bob.jid);
    assert.deepEqual(stored.map((r) => r.body), ['kept and corrected', null]);
    assert.ok((stored[1] as { retractedAt?: Date }).retractedAt);
    // Again (as after a reconnect): nothing applied twice.
    await session(alice.jid).archive.catchUp();
    const again = await tab.command('versions', { peer: bob.jid, id: stored[0]!.id });
    assert.deepEqual(again.versions.map((v) => v.body), ['keep me']);
  });

  test('our own correction and retraction go out as XEP-0308 and XEP-0424 and reach every tab', async () => {
    const alice = await stack.loggedIn('muto-a');
    const bob = await stack.newUser('muto-b');
    const bobClient = await peer(bob.jid, bob.password);
    const second = alice.openTab();
    await second.waitFor('hello');
    const originId = randomUUID();
    const sent = await alice.tab.command('send', { to: bob.jid, body: 'helo', originId });
    await bobClient.waitForMessage((el) => el.getChildText('body') === 'helo');

    const fix = randomUUID();
    const corrected = await alice.tab.command('correct', { peer: bob.jid, id: sent.message.id, body: 'hello', originId: fix });
    assert.equal(corrected.message.body, 'hello');
    assert.equal(corrected.message.version, 1);
    const wire = await bobClient.waitForMessage((el) => el.getChildText('body') === 'hello');
    assert.equal(wire.getChild('replace', CORRECT)?.attrs.id, originId);
    await second.waitFor('message', (e) => e.message.id === sent.message.id && e.message.body === 'hello');
    // A retried command is the same correction: no second version.
    await alice.tab.command('correct', { peer: bob.jid, id: sent.message.id, body: 'hello', originId: fix });
    assert.equal((await alice.tab.command('versions', { peer: bob.jid, id: sent.message.id })).versions.length, 1);

    await alice.tab.command('retract', { peer: bob.jid, id: sent.message.id });
    const r = await bobClient.waitForMessage((el) => el.getChild('retract', RETRACT) !== undefined);
    assert.equal(r.getChild('retract', RETRACT)!.attrs.id, originId);
    assert.equal(r.getChild('fallback', 'urn:xmpp:fallback:0')?.attrs.for, RETRACT);
    assert.ok(r.getChild('store', 'urn:xmpp:hints'));
    await second.waitFor('message', (e) => e.message.id === sent.message.id && e.message.retractedAt !== undefined);
    // Nothing more to change on a tombstone; and Bob's messages are not ours to change.
    const again = await alice.tab.rawCommand('correct', { peer: bob.jid, id: sent.message.id, body: 'x', originId: randomUUID() });
    assert.match(again.error ?? '', /retracted/);
    await bobClient.sendChat(alice.jid, 'bob’s own');
    const bobs = await alice.tab.waitFor('message', (e) => e.message.body === 'bob’s own');
    const refused = await alice.tab.rawCommand('retract', { peer: bob.jid, id: bobs.message.id });
    assert.match(refused.error ?? '', /only your own/);
  });

  test('delete for me: rows go, every tab is told, and an archive catch-up does not bring them back', async () => {
    const alice = await stack.loggedIn('mutd-a');
    const bob = await stack.newUser('mutd-b');
    const bobClient = await peer(bob.jid, bob.password);
    const second = alice.openTab();
    await second.waitFor('hello');
    await bobClient.sendChat(alice.jid, 'one');
    await bobClient.sendChat(alice.jid, 'two');
    // Bob's two have arrived before Alice answers: the conversation's order is one, two, three on any server.
    const two = (await alice.tab.waitFor('message', (e) => e.message.body === 'two')).message;
    const sent = await alice.tab.command('send', { to: bob.jid, body: 'three', originId: randomUUID() });
    await bobClient.waitForMessage((el) => el.getChildText('body') === 'three');

    await alice.tab.command('deleteMessage', { peer: bob.jid, id: two.id });
    await second.waitFor('messageDeleted', (e) => e.ids.includes(two.id));
    await session(alice.jid).archive.catchUp();
    // Older pages of the conversation from the archive, as a tab scrolling up would ask.
    await session(alice.jid).archive.older(bob.jid, new Date());
    assert.deepEqual((await rows(alice.accountId, bob.jid)).map((r) => r.body), ['one', 'three']);

    const r = await second.command('deleteConversation', { peer: bob.jid });
    assert.equal(r.deleted, 2);
    const told = await alice.tab.waitFor('conversationDeleted', (e) => e.peer === bob.jid);
    assert.equal(told.ids.length, 2);
    assert.ok(told.ids.includes(sent.message.id));
    await session(alice.jid).archive.catchUp();
    await session(alice.jid).archive.older(bob.jid, new Date());
    assert.deepEqual(await rows(alice.accountId, bob.jid), []);
    // The conversation goes on: a new message arrives as usual.
    await bobClient.sendChat(alice.jid, 'after the deletion');
    await alice.tab.waitFor('message', (e) => e.message.body === 'after the deletion');
    const hello = await alice.openTab().waitFor('hello');
    assert.deepEqual(hello.conversations.filter((c) => c.peer === bob.jid).map((c) => c.last.body), ['after the deletion']);
  });

  test('a flood of chat states is coalesced per conversation, never stored; the newest state wins', async () => {
    const alice = await stack.loggedIn('muts-a');
    const bob = await stack.newUser('muts-b');
    const bobClient = await peer(bob.jid, bob.password);
    const n = 2000;
    const start = alice.tab.events.length;
    const states = ['composing', 'paused'] as const;
    for (let i = 0; i < n; i++) {
      void bobClient.conn.send(xml('message', { to: alice.jid, type: 'chat' }, xml(states[i % 2]!, { xmlns: 'http://jabber.org/protocol/chatstates' })));
    }
    await bobClient.sendRaw(xml('message', { to: alice.jid, type: 'chat' }, xml('gone', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await alice.tab.waitFor('chatState', (e) => e.peer === bob.jid && e.state === 'gone', 30_000);
    const told = alice.tab.events.slice(start).filter((e) => e.name === 'chatState');
    assert.ok(told.length < 60, `${told.length} chatState events for ${n} states`);
    assert.deepEqual(await rows(alice.accountId, bob.jid), []);

    // And ours reach the contact, a repeated composing only once.
    await alice.tab.command('chatState', { peer: bob.jid, state: 'composing' });
    await alice.tab.command('chatState', { peer: bob.jid, state: 'composing' });
    await alice.tab.command('chatState', { peer: bob.jid, state: 'paused' });
    await bobClient.waitForMessage((el) => el.getChild('paused', 'http://jabber.org/protocol/chatstates') !== undefined);
    assert.equal(bobClient.messages.filter((el) => el.getChild('composing', 'http://jabber.org/protocol/chatstates')).length, 1);
  });
});
