import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import { buildChatState, parseChatState } from '../../server/stanza/chat-states.js';
import { buildCorrection, isCorrection, parseCorrection } from '../../server/stanza/correction.js';
import { buildRetraction, isRetraction, parseRetraction, RETRACTION_FALLBACK_BODY } from '../../server/stanza/retraction.js';
import { MAX_BODY_CHARS, parseChatMessage } from '../../server/stanza/message.js';

const me = 'alice@example.org';

test('chat states: a contact’s composing is read; our own, delayed, groupchat or unknown states are not', () => {
  const composing = parse(`<message from='Bob@example.org/phone' to='alice@example.org' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  assert.deepEqual(parseChatState(composing, me), { from: 'bob@example.org', state: 'composing' });
  // A chat state alone is no history: the message parser gives nothing to store.
  assert.equal(parseChatMessage(composing, me), null);
  const own = parse(`<message from='alice@example.org/other' to='bob@example.org' type='chat'><paused xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  assert.equal(parseChatState(own, me), null);
  const delayed = parse(`<message from='bob@example.org/p' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/></message>`);
  assert.equal(parseChatState(delayed, me), null);
  const group = parse(`<message from='room@muc.example.org/bob' type='groupchat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  assert.equal(parseChatState(group, me), null);
  const bogus = parse(`<message from='bob@example.org/p' type='chat'><dancing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  assert.equal(parseChatState(bogus, me), null);
  const withBody = parse(`<message from='bob@example.org/p' type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  assert.deepEqual(parseChatState(withBody, me), { from: 'bob@example.org', state: 'active' });
});

test('chat states: built without a body and with a no-store hint', () => {
  assert.equal(
    buildChatState('bob@example.org', 'composing').toString(),
    `<message to="bob@example.org" type="chat"><composing xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="urn:xmpp:hints"/></message>`,
  );
});

test('correction: parsed with the id it replaces and its own id; the sender side comes from the stanza', () => {
  const el = parse(`<message from='bob@example.org/phone' to='alice@example.org' type='chat' id='c2'>
    <body>fixed &lt;b&gt;text</body><replace id='m1' xmlns='urn:xmpp:message-correct:0'/><origin-id xmlns='urn:xmpp:sid:0' id='oc2'/></message>`);
  assert.equal(isCorrection(el), true);
  const c = parseCorrection(el, me)!;
  assert.equal(c.replaces, 'm1');
  assert.equal(c.sourceId, 'oc2');
  assert.equal(c.message.direction, 'in');
  assert.equal(c.message.peer, 'bob@example.org');
  assert.equal(c.message.body, 'fixed <b>text');
  // A carbon of our own correction sent from another client: our side of the conversation with Bob.
  const sent = parse(`<message from='alice@example.org/phone' to='bob@example.org' type='chat' id='c3'><body>x</body><replace id='m0' xmlns='urn:xmpp:message-correct:0'/></message>`);
  const s = parseCorrection(sent, me)!;
  assert.deepEqual([s.message.direction, s.message.peer, s.sourceId], ['out', 'bob@example.org', 'c3']);
});

test('correction: unusable ones are recognised (never stored as messages) but not parsed', () => {
  for (const xml of [
    `<message from='bob@example.org/p' type='chat'><body>x</body><replace xmlns='urn:xmpp:message-correct:0'/></message>`,
    `<message from='bob@example.org/p' type='chat'><body>x</body><replace id='${'a'.repeat(300)}' xmlns='urn:xmpp:message-correct:0'/></message>`,
    `<message from='bob@example.org/p' type='chat'><replace id='m1' xmlns='urn:xmpp:message-correct:0'/></message>`,
    `<message from='alice@example.org/p' to='alice@example.org' type='groupchat'><body>x</body><replace id='m1' xmlns='urn:xmpp:message-correct:0'/></message>`,
  ]) {
    const el = parse(xml);
    assert.equal(isCorrection(el), true, xml);
    assert.equal(parseCorrection(el, me), null, xml);
  }
});

test('correction: a huge body is bounded like any message body', () => {
  const big = 'x'.repeat(1_000_000);
  const el = parse(`<message from='bob@example.org/p' type='chat' id='c'><body>${big}</body><replace id='m1' xmlns='urn:xmpp:message-correct:0'/></message>`);
  assert.equal(parseCorrection(el, me)!.message.body!.length, MAX_BODY_CHARS);
});

test('correction: built with replace outside the OMEMO element, and its own origin-id', () => {
  const encrypted = parse(`<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/><payload>AA==</payload></encrypted>`);
  const el = buildCorrection({ to: 'bob@example.org', id: 'n1', originId: 'n1', encrypted, replaces: 'm1' });
  assert.equal(el.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id, 'm1');
  assert.equal(el.getChild('encrypted', 'eu.siacs.conversations.axolotl')?.getChild('replace'), undefined);
  assert.equal(el.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id, 'n1');
  const round = parseCorrection(parse(el.toString()), me)!;
  assert.equal(round.message.direction, 'out');
  assert.ok(round.message.encrypted?.includes('<payload>AA==</payload>'));
});

test('retraction: version 1 and the fastened version 0 are read, with their sender side', () => {
  const v1 = parse(`<message from='bob@example.org/p' to='alice@example.org' type='chat' id='r'>
    <retract id='o1' xmlns='urn:xmpp:message-retract:1'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/>
    <body>fallback</body><stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.org' id='s9'/></message>`);
  assert.equal(isRetraction(v1), true);
  assert.deepEqual(parseRetraction(v1, me), { direction: 'in', peer: 'bob@example.org', retracts: 'o1', stanzaId: 's9' });
  const v0 = parse(`<message from='alice@example.org/phone' to='bob@example.org' type='chat'>
    <apply-to xmlns='urn:xmpp:fasten:0' id='o2'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to></message>`);
  assert.deepEqual(parseRetraction(v0, me), { direction: 'out', peer: 'bob@example.org', retracts: 'o2', stanzaId: null });
  // A fastening of something else is not a retraction.
  const other = parse(`<message from='bob@example.org/p' type='chat'><apply-to xmlns='urn:xmpp:fasten:0' id='o3'><reaction/></apply-to><body>x</body></message>`);
  assert.equal(isRetraction(other), false);
  assert.equal(parseRetraction(other, me), null);
});

test('retraction: built with the fallback, a fallback body and the store hint', () => {
  const el = buildRetraction({ to: 'bob@example.org', id: 'r1', retracts: 'o1' });
  assert.equal(
    el.toString(),
    `<message to="bob@example.org" type="chat" id="r1"><retract xmlns="urn:xmpp:message-retract:1" id="o1"/>` +
      `<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/><body>${RETRACTION_FALLBACK_BODY}</body>` +
      `<origin-id xmlns="urn:xmpp:sid:0" id="r1"/><store xmlns="urn:xmpp:hints"/></message>`,
  );
});
