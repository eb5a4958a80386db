import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import { buildChatMessage, orderStamp, parseChatMessage, ENCRYPTED_FALLBACK_BODY } from '../../server/stanza/message.js';

const me = 'alice@example.org';
const now = new Date('2026-11-23T10:00:00Z');

test('an inbound chat message is parsed with its ids; only our own archive’s stanza-id is trusted', () => {
  const el = parse(`<message from='Bob@Example.org/phone' to='alice@example.org/parley' type='chat' id='m1' xmlns='jabber:client'>
    <body>Hi &lt;b&gt;</body>
    <origin-id xmlns='urn:xmpp:sid:0' id='o1'/>
    <stanza-id xmlns='urn:xmpp:sid:0' by='bob@example.org' id='forged'/>
    <stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.org' id='s1'/>
  </message>`);
  const m = parseChatMessage(el, me, now);
  assert.deepEqual(m, {
    direction: 'in',
    peer: 'bob@example.org',
    from: 'Bob@Example.org/phone',
    to: 'alice@example.org/parley',
    type: 'chat',
    messageId: 'm1',
    originId: 'o1',
    stanzaId: 's1',
    body: 'Hi <b>',
    encrypted: null,
    attachment: null,
    stamp: now,
    delay: null,
    reply: null,
  });
});

test('a stanza-id is trusted only from our own account, and of several claiming it, the last one (the server appends its own)', () => {
  // A contact put one claiming our JID before the server's: a server that does not strip it still appends its own after.
  const el = parse(`<message from='bob@example.org/phone' to='alice@example.org' type='chat' id='m1'>
    <body>x</body>
    <stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.org' id='chosen-by-bob'/>
    <stanza-id xmlns='urn:xmpp:sid:0' by='example.org' id='by-the-domain'/>
    <stanza-id xmlns='urn:xmpp:sid:0' by='Alice@Example.org' id='by-our-archive'/>
  </message>`);
  assert.equal(parseChatMessage(el, me, now)?.stanzaId, 'by-our-archive');
  const onlyForeign = parse(`<message from='bob@example.org' type='chat'><body>x</body>
    <stanza-id xmlns='urn:xmpp:sid:0' by='bob@example.org' id='b'/><stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.org/parley' id='full'/>
    <stanza-id xmlns='urn:xmpp:sid:1' by='alice@example.org' id='other-ns'/></message>`);
  assert.equal(parseChatMessage(onlyForeign, me, now)?.stanzaId, null);
});

test("a contact's delay is believed within the skew bound, or from our own server in the offline burst; else it is only a claim", () => {
  const at = (stamp: string, from = '') =>
    parseChatMessage(parse(`<message from='bob@evil.example' type='chat'><body>x</body><delay xmlns='urn:xmpp:delay' ${from} stamp='${stamp}'/></message>`), me, now)!;
  const backdated = at('2001-01-01T00:00:00Z');
  assert.deepEqual(backdated.delay, { stamp: new Date('2001-01-01T00:00:00Z'), fromOwnServer: false });
  assert.deepEqual(orderStamp(backdated.delay, now, false), { stamp: now, claimedStamp: new Date('2001-01-01T00:00:00Z') });
  // In the offline burst too: only our own server's delay is believed there.
  assert.deepEqual(orderStamp(backdated.delay, now, true), { stamp: now, claimedStamp: new Date('2001-01-01T00:00:00Z') });
  const skewed = at('2026-11-23T09:56:00Z');
  assert.deepEqual(orderStamp(skewed.delay, now, false), { stamp: new Date('2026-11-23T09:56:00Z'), claimedStamp: null });
  const offline = at('2026-11-20T08:00:00Z', "from='example.org'");
  assert.equal(offline.delay?.fromOwnServer, true);
  assert.deepEqual(orderStamp(offline.delay, now, true), { stamp: new Date('2026-11-20T08:00:00Z'), claimedStamp: null });
  // The same "server" delay outside the burst is a contact writing our domain into it.
  assert.deepEqual(orderStamp(offline.delay, now, false), { stamp: now, claimedStamp: new Date('2026-11-20T08:00:00Z') });
  assert.deepEqual(orderStamp(null, now, true), { stamp: now, claimedStamp: null });
});

test("of several delays, our own server's last one is read (it appends after the sender's)", () => {
  const el = parse(`<message from='bob@evil.example' type='chat'><body>x</body>
    <delay xmlns='urn:xmpp:delay' stamp='2001-01-01T00:00:00Z'/>
    <delay xmlns='urn:xmpp:delay' from='example.org' stamp='2026-11-23T09:00:00Z'/></message>`);
  assert.deepEqual(parseChatMessage(el, me, now)?.delay, { stamp: new Date('2026-11-23T09:00:00Z'), fromOwnServer: true });
});

test('a delay stamp orders the message; a stamp from the future is ignored', () => {
  const past = parse(`<message from='bob@example.org' type='chat'><body>x</body><delay xmlns='urn:xmpp:delay' stamp='2026-11-20T08:00:00Z'/></message>`);
  assert.equal(parseChatMessage(past, me, now)?.stamp.toISOString(), '2026-11-20T08:00:00.000Z');
  const future = parse(`<message from='bob@example.org' type='chat'><body>x</body><delay xmlns='urn:xmpp:delay' stamp='2030-01-01T00:00:00Z'/></message>`);
  assert.equal(parseChatMessage(future, me, now)?.stamp, now);
  const garbage = parse(`<message from='bob@example.org' type='chat'><body>x</body><delay xmlns='urn:xmpp:delay' stamp='yesterday'/></message>`);
  assert.equal(parseChatMessage(garbage, me, now)?.stamp, now);
});

test('errors, groupchat, headlines, empty bodies and malformed addresses are not chat messages', () => {
  for (const xml of [
    `<message from='bob@example.org' type='error'><body>x</body></message>`,
    `<message from='room@muc.example.org/nick' type='groupchat'><body>x</body></message>`,
    `<message from='news.example.org' type='headline'><body>x</body></message>`,
    `<message from='bob@example.org' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
    `<message from='bob@example.org' type='chat'><body></body></message>`,
    `<message from='bad jid@@example.org' type='chat'><body>x</body></message>`,
    `<iq from='bob@example.org' type='get'/>`,
  ]) {
    assert.equal(parseChatMessage(parse(xml), me, now), null, xml);
  }
});

test('a message from our own account is outgoing, to the peer', () => {
  const m = parseChatMessage(parse(`<message from='alice@example.org/phone' to='bob@example.org' type='chat'><body>x</body></message>`), me, now);
  assert.equal(m?.direction, 'out');
  assert.equal(m?.peer, 'bob@example.org');
});

test('an OMEMO message keeps its <encrypted> element as XML, untouched', () => {
  const enc = `<encrypted xmlns="eu.siacs.conversations.axolotl"><header sid="42"><key rid="7" prekey="true">AAEC</key><iv>AAAAAAAAAAAAAAAA</iv></header><payload>ZZZ=</payload></encrypted>`;
  const m = parseChatMessage(parse(`<message from='bob@example.org' type='chat'>${enc}<body>fallback</body></message>`), me, now);
  assert.equal(m?.encrypted, enc);
  assert.equal(m?.body, 'fallback');
});

test('outgoing messages carry origin-id, store hint, receipt request and, when encrypted, EME and a fallback body', () => {
  assert.equal(
    buildChatMessage({ to: 'bob@example.org', id: 'id1', originId: 'id1', body: 'a<b' }).toString(),
    `<message to="bob@example.org" type="chat" id="id1"><body>a&lt;b</body><origin-id xmlns="urn:xmpp:sid:0" id="id1"/><store xmlns="urn:xmpp:hints"/><request xmlns="urn:xmpp:receipts"/><markable xmlns="urn:xmpp:chat-markers:0"/></message>`,
  );
  const encrypted = parse(`<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted>`);
  const el = buildChatMessage({ to: 'bob@example.org', id: 'id2', originId: 'id2', encrypted });
  assert.equal(el.getChild('encryption', 'urn:xmpp:eme:0')?.attrs.namespace, 'eu.siacs.conversations.axolotl');
  assert.equal(el.getChildText('body'), ENCRYPTED_FALLBACK_BODY);
  assert.ok(el.getChild('encrypted', 'eu.siacs.conversations.axolotl'));
});
