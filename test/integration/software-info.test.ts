/**
 * What others may ask Parley's session (issue 13 item 5), against a real Prosody: software version (XEP-0092),
 * time (XEP-0202), last activity (XEP-0012), the disco#info that advertises exactly those, and a roster push from a
 * stranger (RFC 6121 §2.1.6), which must be ignored and not answered as a success.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { xml, type Element } from '@xmpp/xml';
import { TestStack } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { capsVerification, CAPS_NODE } from '../../server/stanza/caps.js';
import { advertisedCapsVer } from '../../server/features/disco.js';

let stack: TestStack;
const cleanup: (() => unknown)[] = [];
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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

const fullJidOf = (s: TestStack, jid: string) => s.parley.sessions.sessions().find((x) => x.jid === jid)!.conn.jid;
const ask = (p: XmppPeer, to: string, child: Element, type: 'get' | 'set' = 'get') => p.conn.iq(xml('iq', { type, to }, child));
const condition = (err: unknown) => (err as { condition?: string }).condition;

test('version, time and disco#info are answered; disco lists exactly what is answered', async () => {
  const alice = await stack.loggedIn('sw-a');
  const bob = await stack.newUser('sw-b');
  const stranger = await peer(bob.jid, bob.password);
  const to = fullJidOf(stack, alice.jid);

  const version = (await ask(stranger, to, xml('query', { xmlns: 'jabber:iq:version' }))).getChild('query', 'jabber:iq:version')!;
  assert.equal(version.getChildText('name'), 'Parley');
  assert.equal(version.getChildText('version'), VERSION);
  assert.equal(version.getChild('os'), undefined, 'no operating system');

  const before = Date.now();
  const time = (await ask(stranger, to, xml('time', { xmlns: 'urn:xmpp:time' }))).getChild('time', 'urn:xmpp:time')!;
  assert.equal(time.getChildText('tzo'), '+00:00');
  const utc = Date.parse(time.getChildText('utc') ?? '');
  assert.ok(Math.abs(utc - before) < 5000, `utc ${time.getChildText('utc')}`);

  const info = (await ask(stranger, to, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))).getChild('query', 'http://jabber.org/protocol/disco#info')!;
  const features = info.getChildren('feature').map((f) => String(f.attrs.var));
  const implemented = ['jabber:iq:version', 'urn:xmpp:time', 'jabber:iq:last', 'urn:xmpp:ping', 'http://jabber.org/protocol/chatstates', 'urn:xmpp:message-correct:0', 'urn:xmpp:message-retract:1', 'urn:xmpp:reactions:0', 'urn:xmpp:reply:0', 'urn:xmpp:fallback:0', 'urn:xmpp:styling:0'];
  for (const ns of implemented) assert.ok(features.includes(ns), `${ns} advertised`);
  assert.equal(new Set(features).size, features.length, 'each feature once (XEP-0115 §5.4 refuses duplicates)');
  // Every iq namespace advertised is answered (no promise disco cannot keep).
  for (const ns of ['jabber:iq:version', 'urn:xmpp:time']) await ask(stranger, to, xml(ns === 'urn:xmpp:time' ? 'time' : 'query', { xmlns: ns }));
  await ask(stranger, to, xml('ping', { xmlns: 'urn:xmpp:ping' }));

  // The caps hash our presence carries is the hash of exactly this answer (XEP-0115 §5.1), and the caps node is answered alike.
  const identities = info.getChildren('identity').map((i) => ({ category: String(i.attrs.category), type: String(i.attrs.type), name: String(i.attrs.name ?? '') }));
  const ver = capsVerification(identities, features);
  assert.equal(ver, advertisedCapsVer());
  const byNode = (await ask(stranger, to, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: `${CAPS_NODE}#${ver}` }))).getChild('query', 'http://jabber.org/protocol/disco#info')!;
  assert.deepEqual(byNode.getChildren('feature').map((f) => String(f.attrs.var)), features);
  await assert.rejects(ask(stranger, to, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: `${CAPS_NODE}#not-our-hash` })), (err) => condition(err) === 'item-not-found');
});

test('last activity: 0 while a tab is open, to our own account; forbidden to a stranger', async () => {
  const alice = await stack.loggedIn('last-a');
  const bob = await stack.newUser('last-b');
  const stranger = await peer(bob.jid, bob.password);
  const own = await peer(alice.jid, alice.password);
  const to = fullJidOf(stack, alice.jid);
  const last = (await ask(own, to, xml('query', { xmlns: 'jabber:iq:last' }))).getChild('query', 'jabber:iq:last')!;
  assert.equal(last.attrs.seconds, '0');
  await assert.rejects(ask(stranger, to, xml('query', { xmlns: 'jabber:iq:last' })), (err) => condition(err) === 'forbidden');
});

test('a roster push from a stranger is not applied and answered with an error, not a result', async () => {
  const alice = await stack.loggedIn('push-a');
  const bob = await stack.newUser('push-b');
  const stranger = await peer(bob.jid, bob.password);
  const to = fullJidOf(stack, alice.jid);
  const push = xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: `evil@${stack.prosody.domain}`, subscription: 'both', name: 'Trust me' }));
  await assert.rejects(ask(stranger, to, push, 'set'), (err) => condition(err) === 'service-unavailable');
  const contacts = await stack.parley.stores.contacts.list(alice.accountId);
  assert.equal(contacts.some((c) => c.jid === `evil@${stack.prosody.domain}`), false);
  assert.equal(alice.tab.events.some((e) => e.name === 'contact'), false);
});

// Last: the setting is process-wide (it changes the caps hash), so this stack changes it for the others too.
test('PARLEY_XMPP_VERSION=false: version is neither answered nor advertised', async () => {
  const quiet = await TestStack.start({ env: { PARLEY_XMPP_VERSION: 'false' } });
  cleanup.push(() => quiet.close());
  const alice = await quiet.loggedIn('nover-a');
  const bob = await quiet.newUser('nover-b');
  const other = await XmppPeer.login(quiet.prosody, bob.jid, bob.password);
  cleanup.push(() => other.stop());
  const to = fullJidOf(quiet, alice.jid);
  await assert.rejects(ask(other, to, xml('query', { xmlns: 'jabber:iq:version' })), (err) => condition(err) === 'service-unavailable');
  const info = (await ask(other, to, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))).getChild('query', 'http://jabber.org/protocol/disco#info')!;
  const features = info.getChildren('feature').map((f) => String(f.attrs.var));
  assert.equal(features.includes('jabber:iq:version'), false);
  assert.ok(features.includes('urn:xmpp:time'));
});
