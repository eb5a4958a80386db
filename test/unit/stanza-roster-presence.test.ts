import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import { parseRosterQuery, buildRosterSet, buildRosterGet, rosterVersion, cleanGroups } from '../../server/stanza/roster.js';
import { parsePresence, buildPresence, buildSubscription } from '../../server/stanza/presence.js';
import { parseJid } from '../../server/stanza/jid.js';

test('roster items are parsed; bad JIDs and unknown subscriptions are tamed', () => {
  const q = parse(`<query xmlns='jabber:iq:roster'>
    <item jid='Bob@Example.org' name='Bob &lt;script&gt;' subscription='both'><group>Friends</group><group>Work</group></item>
    <item jid='carol@example.org' subscription='bogus' ask='subscribe'/>
    <item jid='not a jid@'/>
  </query>`);
  assert.deepEqual(parseRosterQuery(q), [
    { jid: 'bob@example.org', name: 'Bob <script>', subscription: 'both', ask: false, groups: ['Friends', 'Work'] },
    { jid: 'carol@example.org', name: null, subscription: 'none', ask: true, groups: [] },
  ]);
  assert.equal(buildRosterSet({ jid: 'a@b', remove: true }).toString(), `<iq type="set"><query xmlns="jabber:iq:roster"><item jid="a@b" subscription="remove"/></query></iq>`);
});

test('roster versioning (RFC 6121 §2.6): the version we hold goes out, the one a result or push carries comes back', () => {
  assert.equal(buildRosterGet().toString(), '<iq type="get"><query xmlns="jabber:iq:roster"/></iq>');
  assert.equal(buildRosterGet('').toString(), '<iq type="get"><query xmlns="jabber:iq:roster" ver=""/></iq>');
  assert.equal(buildRosterGet('ver14').toString(), '<iq type="get"><query xmlns="jabber:iq:roster" ver="ver14"/></iq>');
  assert.equal(rosterVersion(parse(`<query xmlns='jabber:iq:roster' ver='ver34'><item jid='a@b'/></query>`)), 'ver34');
  assert.equal(rosterVersion(parse(`<query xmlns='jabber:iq:roster'/>`)), null);
  assert.equal(rosterVersion(undefined), null);
  assert.equal(rosterVersion(parse(`<query xmlns='jabber:iq:roster' ver='${'x'.repeat(2000)}'/>`)), null, 'an absurd version is not stored');
});

test('a roster set carries the name and every group, cleaned; a 100,000-character name is cut', () => {
  assert.equal(
    buildRosterSet({ jid: 'bob@example.org', name: ' Bob ', groups: ['Friends', ' Work ', '', 'Friends'] }).toString(),
    '<iq type="set"><query xmlns="jabber:iq:roster"><item jid="bob@example.org" name="Bob"><group>Friends</group><group>Work</group></item></query></iq>',
  );
  assert.equal(buildRosterSet({ jid: 'bob@example.org', name: null, groups: [] }).toString(), '<iq type="set"><query xmlns="jabber:iq:roster"><item jid="bob@example.org"/></query></iq>');
  const huge = buildRosterSet({ jid: 'bob@example.org', name: 'n'.repeat(100_000), groups: [] }).getChild('query')!.getChild('item')!;
  assert.equal(String(huge.attrs.name).length, 256);
  assert.equal(cleanGroups(Array.from({ length: 80 }, (_, i) => `g${i}`)).length, 50);
  const pushed = parseRosterQuery(parse(`<query xmlns='jabber:iq:roster'><item jid='x@y' name='${'n'.repeat(100_000)}'/></query>`));
  assert.equal(pushed[0]!.name!.length, 256, 'what the server sends is bounded too');
  // The cut never leaves half of an emoji (a lone surrogate is not XML text: the stanza would break the stream).
  const emoji = `${'n'.repeat(255)}😀😀`;
  const cut = buildRosterSet({ jid: 'bob@example.org', name: emoji, groups: [emoji] }).getChild('query')!.getChild('item')!;
  assert.equal(cut.attrs.name, 'n'.repeat(255));
  assert.equal(cut.getChildText('group'), 'n'.repeat(255));
  assert.equal(parseRosterQuery(parse(`<query xmlns='jabber:iq:roster'><item jid='x@y' name='${emoji}'/></query>`))[0]!.name, 'n'.repeat(255));
});

test('a subscription request carries the nickname the sender gives (XEP-0172), bounded', () => {
  const p = parsePresence(parse(`<presence from='bob@example.org' type='subscribe'><nick xmlns='http://jabber.org/protocol/nick'> Bobby &lt;b&gt; </nick></presence>`));
  assert.equal(p?.type, 'subscribe');
  assert.equal(p?.nick, 'Bobby <b>');
  assert.equal(parsePresence(parse(`<presence from='bob@example.org' type='subscribe'><nick>wrong namespace</nick></presence>`))?.nick, null);
  assert.equal(parsePresence(parse(`<presence from='b@e' type='subscribe'><nick xmlns='http://jabber.org/protocol/nick'>${'n'.repeat(5000)}</nick></presence>`))?.nick?.length, 256);
});

test('presence is parsed with show, status and priority; garbage is refused', () => {
  assert.deepEqual(parsePresence(parse(`<presence from='bob@example.org/x'><show>dnd</show><status>busy</status><priority>300</priority></presence>`)), {
    bare: 'bob@example.org', resource: 'x', type: 'available', show: 'dnd', status: 'busy', priority: 127, nick: null,
  });
  assert.equal(parsePresence(parse(`<presence from='bob@example.org/x'><show>sleeping</show></presence>`))?.show, 'available');
  assert.equal(parsePresence(parse(`<presence from='bob@example.org/x' type='bogus'/>`)), null);
  assert.equal(parsePresence(parse(`<presence/>`)), null);
  assert.equal(buildPresence('away', 'brb').toString(), '<presence><show>away</show><status>brb</status></presence>');
});

test('JIDs are parsed defensively', () => {
  assert.deepEqual(parseJid('User@Example.ORG/Res/x'), { local: 'user', domain: 'example.org', resource: 'Res/x', bare: 'user@example.org' });
  assert.equal(parseJid('example.org')?.bare, 'example.org');
  for (const bad of ['', '@example.org', 'a@b@c', 'a b@c', 'a@', 'x'.repeat(4000)]) assert.equal(parseJid(bad), null, bad);
});

test('entity caps verification string matches XEP-0115 §5.2', async () => {
  const { capsVer } = await import('../../server/stanza/caps.js');
  const ver = capsVer({ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }, [
    'http://jabber.org/protocol/caps',
    'http://jabber.org/protocol/disco#info',
    'http://jabber.org/protocol/disco#items',
    'http://jabber.org/protocol/muc',
  ]);
  assert.equal(ver, 'QgayPKawpkPSDYmwT/WM94uAlu0=');
});

test('entity caps verification string matches XEP-0115 §5.3 (two languages, an extended form), and sees a changed value', async () => {
  const { capsVerification } = await import('../../server/stanza/caps.js');
  const features = ['http://jabber.org/protocol/caps', 'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc'];
  const identities = [
    { category: 'client', type: 'pc', lang: 'en', name: 'Psi 0.11' },
    { category: 'client', type: 'pc', lang: 'el', name: 'Ψ 0.11' },
  ];
  const form = (os: string) => ({
    formType: 'urn:xmpp:dataforms:softwareinfo',
    fields: { FORM_TYPE: ['urn:xmpp:dataforms:softwareinfo'], ip_version: ['ipv6', 'ipv4'], os: [os], os_version: ['10.5.1'], software: ['Psi'], software_version: ['0.11'] },
  });
  assert.equal(capsVerification(identities, features, [form('Mac')]), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  assert.notEqual(capsVerification(identities, features, [form('Linux')]), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  assert.notEqual(capsVerification(identities, features), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
});

test('a subscription request carries our nickname when we have one (XEP-0172 §4.1); answers never do', () => {
  assert.equal(buildSubscription('bob@example.org', 'subscribe', 'Ali <b>').toString(),
    '<presence to="bob@example.org" type="subscribe"><nick xmlns="http://jabber.org/protocol/nick">Ali &lt;b&gt;</nick></presence>');
  assert.equal(buildSubscription('bob@example.org', 'subscribe').toString(), '<presence to="bob@example.org" type="subscribe"/>');
  assert.equal(buildSubscription('bob@example.org', 'subscribed', 'Ali').toString(), '<presence to="bob@example.org" type="subscribed"/>');
});
