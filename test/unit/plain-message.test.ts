/** Which inbound stanzas the pipeline may store beside the ones before them (server/stanza/plain-message.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parseXml from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { isPlainIncoming } from '../../server/stanza/plain-message.js';

const me = 'me@localhost';
const msg = (inner: string, attrs = `from="bob@localhost/phone" to="${me}/parley" type="chat"`) =>
  parseXml(`<message xmlns="jabber:client" ${attrs} id="m1">${inner}</message>`) as unknown as Element;

test('plain chat messages from a contact are pipelined: a body (or OMEMO payload) with ids, receipt request, marker, active state', () => {
  assert.equal(isPlainIncoming(msg('<body>hi</body>'), me), true);
  assert.equal(
    isPlainIncoming(msg('<body>hi</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/><request xmlns="urn:xmpp:receipts"/><markable xmlns="urn:xmpp:chat-markers:0"/><active xmlns="http://jabber.org/protocol/chatstates"/>'), me),
    true,
  );
  assert.equal(isPlainIncoming(msg('<encrypted xmlns="eu.siacs.conversations.axolotl"><payload>x</payload></encrypted><store xmlns="urn:xmpp:hints"/>'), me), true);
  assert.equal(isPlainIncoming(msg('<body>hi</body>', `from="bob@localhost/phone" to="${me}"`), me), true, 'type normal');
});

test('anything referring to an earlier message, delayed, carbon, room or our own is a barrier', () => {
  for (const inner of [
    '<body>fix</body><replace xmlns="urn:xmpp:message-correct:0" id="m0"/>',
    '<retract xmlns="urn:xmpp:message-retract:1" id="m0"/><body>gone</body>',
    '<reactions xmlns="urn:xmpp:reactions:0" id="m0"><reaction>👍</reaction></reactions><body>👍</body>',
    '<body>re</body><reply xmlns="urn:xmpp:reply:0" id="m0" to="bob@localhost"/>',
    '<received xmlns="urn:xmpp:receipts" id="m0"/>',
    '<displayed xmlns="urn:xmpp:chat-markers:0" id="m0"/>',
    '<body>old</body><delay xmlns="urn:xmpp:delay" stamp="2026-01-01T00:00:00Z"/>',
    '<body>pm</body><x xmlns="http://jabber.org/protocol/muc#user"/>',
    '<composing xmlns="http://jabber.org/protocol/chatstates"/>',
    '<origin-id xmlns="urn:xmpp:sid:0" id="o1"/>',
  ]) assert.equal(isPlainIncoming(msg(inner), me), false, inner);
  assert.equal(isPlainIncoming(msg('<body>hi</body>', `from="room@muc.localhost/nick" to="${me}" type="groupchat"`), me), false, 'groupchat');
  assert.equal(isPlainIncoming(msg('<body>hi</body>', `from="${me}/other" to="bob@localhost" type="chat"`), me), false, 'our own');
  assert.equal(isPlainIncoming(msg('<body>hi</body>', `from="bob@localhost/x" to="carol@localhost" type="chat"`), me), false, 'not to us');
  assert.equal(isPlainIncoming(msg('<body>hi</body>', `from="bob@localhost/x" to="${me}" type="error"`), me), false, 'error');
  assert.equal(isPlainIncoming(msg('<sent xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0"/></sent>', `from="${me}" to="${me}/parley" type="chat"`), me), false, 'carbon');
});
