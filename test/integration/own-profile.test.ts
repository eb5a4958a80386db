/**
 * The user's own profile on real Prosody and ejabberd (the test matrix): saved from a tab into vcard-temp (keeping the PHOTO another client put
 * there), the vCard4 PEP node and the nickname node; read back by a raw client of the account and by a contact;
 * every tab told; bad input refused with a clear error and nothing written.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, type LoggedIn } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';
import { buildVcard4Get, parseVcard4, parseVcardTemp, vcard4FromItems, vcardTempFromResult } from '../../server/stanza/vcard.js';

let stack: TestStack;
let alice: LoggedIn;
let other: XmppPeer;

/** Each describe starts its own stack; tests run one at a time, so `stack` is the current describe's. */
function useStack(start: () => Promise<TestStack>): void {
  before(async () => {
    stack = await start();
    alice = await stack.loggedIn('selfprofile');
    other = await XmppPeer.login(stack.server, alice.jid, alice.password);
  });
  after(async () => {
    await other?.stop();
    await stack?.close();
  });
}

const PHOTO = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  useStack(() => TestStack.start({ server: kind }));

  test('saved from a tab: vcard-temp keeps its PHOTO, vCard4 and the nickname are on PEP, every tab and a contact see it', async () => {
    // Alice's other client had put an avatar into vcard-temp (XEP-0153).
    await other.conn.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Old'), xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, PHOTO)))));
    const second = alice.openTab();
    await second.waitFor('hello');

    const fields = { fn: 'Alice <img src=x onerror=alert(1)>', nickname: 'Ali', emails: ['alice@example.org'], tels: ['+33 1 23'], urls: ['https://alice.example'], note: 'Hi\nthere', locality: 'Lyon', country: null };
    const saved = await alice.tab.command('setOwnProfile', fields);
    assert.deepEqual(saved.stored, { vcardTemp: 'ok', vcard4: 'ok', nick: 'ok' });
    assert.equal(saved.profile.fields.fn, fields.fn);
    const told = await second.waitFor('ownProfile');
    assert.equal(told.profile.fields.nickname, 'Ali');

    const temp = vcardTempFromResult(await other.conn.iq(xml('iq', { type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' }))))!;
    assert.equal(temp.getChild('PHOTO')?.getChildText('BINVAL'), PHOTO, 'the avatar survives the save');
    const fromTemp = parseVcardTemp(temp);
    assert.equal(fromTemp.fn, fields.fn);
    assert.deepEqual(fromTemp.emails, fields.emails);

    const v4 = parseVcard4(vcard4FromItems(await other.conn.iq(buildVcard4Get(alice.jid)))!);
    assert.deepEqual({ fn: v4.fn, nickname: v4.nickname, emails: v4.emails, tels: v4.tels, urls: v4.urls, note: v4.note, locality: v4.locality }, {
      fn: fields.fn, nickname: 'Ali', emails: fields.emails, tels: fields.tels, urls: fields.urls, note: fields.note, locality: 'Lyon',
    });
    const nick = await other.conn.iq(xml('iq', { type: 'get', to: alice.jid }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: 'http://jabber.org/protocol/nick' }))));
    assert.equal(nick.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Ali');

    // Saving again with fewer fields removes the others everywhere (no stale email left behind in either vCard).
    await alice.tab.command('setOwnProfile', { fn: 'Alice', emails: [] });
    const again = parseVcardTemp(vcardTempFromResult(await other.conn.iq(xml('iq', { type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' }))))!);
    assert.deepEqual(again.emails, []);
    assert.equal(again.nickname, null);
    const v4again = parseVcard4(vcard4FromItems(await other.conn.iq(buildVcard4Get(alice.jid)))!);
    assert.equal(v4again.fn, 'Alice');
    assert.deepEqual(v4again.emails, []);
    second.close();

    // A contact (subscribed to Alice's presence: vCard4 is for contacts) reads it through their own Parley session.
    const bob = await stack.loggedIn('selfprofilebob');
    await alice.tab.command('addContact', { jid: bob.jid, name: 'Bob' });
    await bob.tab.command('addContact', { jid: alice.jid, name: 'Alice' });
    await alice.tab.waitFor('contact', (e) => e.contact.jid === bob.jid && e.contact.subscription === 'both');
    const seen = await bob.tab.command('profile', { jid: alice.jid, fresh: true });
    assert.equal(seen.source, 'vcard4');
    assert.equal(seen.fields.fn, 'Alice');
  });

  test('bad input is refused with a clear error and nothing is written', async () => {
    const before = vcardTempFromResult(await other.conn.iq(xml('iq', { type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' }))))!.toString();
    for (const [input, pattern] of [
      [{ fn: 'x'.repeat(100_000) }, /256/],
      [{ urls: ['javascript:alert(1)'] }, /http/],
      [{ bday: 'tomorrow' }, /YYYY-MM-DD/],
      [{ fn: 'ok', photo: 'data' }, /photo|unrecognized/i],
    ] as const) {
      const r = await alice.tab.rawCommand('setOwnProfile', input);
      assert.equal(r.ok, false, JSON.stringify(input).slice(0, 60));
      assert.match(r.error!, pattern);
    }
    const after = vcardTempFromResult(await other.conn.iq(xml('iq', { type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' }))))!.toString();
    assert.equal(after, before);
  });

  test('a subscription request we send introduces us with our nickname (XEP-0172 §4.1)', async () => {
    await alice.tab.command('setOwnProfile', { fn: 'Alice', nickname: 'Ali <b>' });
    const carol = await stack.newUser('selfprofilecarol');
    const carolClient = await XmppPeer.login(stack.server, carol.jid, carol.password);
    try {
      const asked = new Promise<Element>((resolve) =>
        carolClient.conn.on('stanza', (el: Element) => el.name === 'presence' && el.attrs.type === 'subscribe' && resolve(el)),
      );
      await alice.tab.command('addContact', { jid: carol.jid, name: 'Carol' });
      const request = await asked;
      assert.equal(request.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Ali <b>');
    } finally {
      await carolClient.stop();
    }
  });
});
