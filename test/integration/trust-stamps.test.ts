/**
 * What a contact cannot choose for its messages (issue 13 items 3 and 4), against a real Prosody: the archive id
 * (XEP-0359 stanza-id) and the place in history (XEP-0203 delay).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml } from '@xmpp/xml';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { RawXmpp, child, toXml } from '../harness/xmpp-raw.js';

let stack: TestStack;
const cleanup: (() => unknown)[] = [];

before(async () => {
  stack = await TestStack.start();
});
after(async () => {
  for (const c of cleanup.reverse()) await c();
  await stack?.close();
});

async function peer(jid: string, password: string) {
  const p = await XmppPeer.login(stack.prosody, jid, password);
  cleanup.push(() => p.stop());
  return p;
}

const delay = (stamp: string, from?: string) => xml('delay', { xmlns: 'urn:xmpp:delay', stamp, ...(from ? { from } : {}) });

test('a stanza-id forged by the sender is never stored as the archive id', async () => {
  const alice = await stack.loggedIn('sid-a');
  const bob = await stack.newUser('sid-b');
  const bobClient = await peer(bob.jid, bob.password);
  const forged = `forged-${randomUUID()}`;
  const body = `with a forged stanza-id ${randomUUID()}`;
  await bobClient.sendChat(alice.jid, body, { extra: [xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: alice.jid, id: forged })] });
  const got = await alice.tab.waitFor('message', (e) => e.message.body === body);
  assert.notEqual(got.message.stanzaId, forged);
  // Whatever Prosody did with the forged element, the id stored is the one its archive gave the message.
  const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
  const archive = await RawXmpp.login({ host: '127.0.0.1', port: stack.prosody.c2sPort, jid: alice.jid, password: alice.password });
  cleanup.push(() => archive.close());
  const mark = archive.received.length;
  await archive.iq(`<iq type='set'><query xmlns='urn:xmpp:mam:2' queryid='q1'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max></set></query></iq>`);
  const archived = archive.received.slice(mark).find((el) => toXml(el).includes(body));
  const archiveId = archived ? child(archived, 'result', 'urn:xmpp:mam:2')?.attrs.id : undefined;
  assert.ok(archiveId, 'the message is in the archive');
  await session.drainInbound();
  const row = (await stack.parley.stores.messages.page(session.accountId, bob.jid, { limit: 5 })).find((r) => r.body === body)!;
  assert.equal(row.stanzaId, archiveId);
});

test("a contact's backdated delay does not move its message into the past: ordered by arrival, the claim kept for display", async () => {
  const alice = await stack.loggedIn('back-a');
  const bob = await stack.newUser('back-b');
  const bobClient = await peer(bob.jid, bob.password);
  await bobClient.sendChat(alice.jid, 'an honest first message');
  await alice.tab.waitFor('message', (e) => e.message.body === 'an honest first message');
  const before = Date.now();
  await bobClient.sendChat(alice.jid, 'claims to be from 2001', { extra: [delay('2001-01-01T00:00:00Z')] });
  const got = await alice.tab.waitFor('message', (e) => e.message.body === 'claims to be from 2001');
  assert.ok(Date.parse(got.message.stamp) >= before - 1000, `ordered by arrival, got ${got.message.stamp}`);
  assert.equal(got.message.claimedStamp, '2001-01-01T00:00:00.000Z');
  const page = await alice.tab.command('history', { peer: bob.jid, limit: 10 });
  assert.deepEqual(page.messages.map((m) => m.body).reverse(), ['an honest first message', 'claims to be from 2001']);
});

test("offline delivery keeps our own server's stamp, not the sender's backdated one", async () => {
  const alice = await stack.newUser('offl-a');
  const bob = await stack.newUser('offl-b');
  const bobClient = await peer(bob.jid, bob.password);
  // Alice is offline: Prosody stores the message and adds its own delay when it delivers it (XEP-0160).
  const sentAt = Date.now();
  await bobClient.sendChat(alice.jid, 'sent while you were away', { extra: [delay('2001-01-01T00:00:00Z', stack.prosody.domain)] });
  const browser = new HttpBrowser(stack.url);
  assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
  const tab = browser.tab();
  cleanup.push(() => tab.close());
  await tab.waitFor('hello');
  const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
  await session.synced;
  await session.drainInbound();
  const page = await tab.command('history', { peer: bob.jid, limit: 10 });
  const row = page.messages.find((m) => m.body === 'sent while you were away');
  assert.ok(row, `stored: ${JSON.stringify(page.messages)}`);
  // The server's stamp (whole seconds) is when it stored the message, not 2001.
  assert.ok(Math.abs(Date.parse(row.stamp) - sentAt) < 60_000, `stamp ${row.stamp}`);
});
