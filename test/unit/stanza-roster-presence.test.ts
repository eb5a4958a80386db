import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import { parseRosterQuery, buildRosterSet } from '../../server/stanza/roster.js';
import { parsePresence, buildPresence } from '../../server/stanza/presence.js';
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

test('presence is parsed with show, status and priority; garbage is refused', () => {
  assert.deepEqual(parsePresence(parse(`<presence from='bob@example.org/x'><show>dnd</show><status>busy</status><priority>300</priority></presence>`)), {
    bare: 'bob@example.org', resource: 'x', type: 'available', show: 'dnd', status: 'busy', priority: 127,
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
