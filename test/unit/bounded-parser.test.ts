/**
 * BoundedParser with literal streams: a stanza over the text bound is read on as a stub (its attributes and one
 * <oversized/> child), so the session survives a contact's large vCard; an iq result stub becomes an error; the
 * stanzas around it are intact; depth and attribute bounds still end the stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import { BoundedParser, DEFAULT_STANZA_LIMITS, NS_OVERSIZED, type StanzaLimits } from '../../server/xmpp/bounded-parser.js';

const OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

function parse(limits: Partial<StanzaLimits>, ...writes: string[]): { elements: Element[]; problems: string[]; parser: BoundedParser } {
  const problems: string[] = [];
  const parser = new BoundedParser({ ...DEFAULT_STANZA_LIMITS, ...limits }, (c) => problems.push(c));
  const elements: Element[] = [];
  parser.on('element', (el: Element) => elements.push(el));
  parser.write(OPEN);
  for (const w of writes) parser.write(w);
  return { elements, problems, parser };
}

test('a vCard result over the text bound arrives as an error stub; the next stanza is whole', () => {
  const photo = 'A'.repeat(5000);
  const { elements, problems, parser } = parse(
    { maxTextBytes: 4096 },
    `<iq type='result' id='v1' from='bob@example.org'><vCard xmlns='vcard-temp'><FN>Bob</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>`,
    photo.slice(0, 2000),
    `${photo.slice(2000)}</BINVAL></PHOTO></vCard></iq>`,
    `<message from='bob@example.org/x' id='m2'><body>after</body></message>`,
  );
  assert.deepEqual(problems, []);
  assert.equal(elements.length, 2);
  const [stub, next] = elements as [Element, Element];
  assert.equal(stub.name, 'iq');
  assert.equal(stub.attrs.id, 'v1');
  assert.equal(stub.attrs.type, 'error');
  assert.equal(stub.getChild('vCard'), undefined);
  assert.equal(stub.getChild('oversized', NS_OVERSIZED)?.attrs.reason, 'text');
  assert.ok(stub.getChild('error')?.getChild('resource-constraint', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  assert.equal(next.getChildText('body'), 'after');
  assert.equal(parser.skipping, false);
});

test('a message over the text bound keeps its attributes only; nothing of its body is kept', () => {
  const { elements, problems } = parse({ maxTextBytes: 1024 }, `<message type='chat' from='eve@example.org/r' id='big'><body>${'x'.repeat(2000)}</body><x><y/></x></message>`);
  assert.deepEqual(problems, []);
  const stub = elements[0]!;
  assert.equal(stub.attrs.type, 'chat');
  assert.equal(stub.attrs.id, 'big');
  assert.deepEqual(stub.getChildElements().map((c) => c.name), ['oversized']);
  assert.equal(stub.toString().includes('xxxx'), false);
});

test('skipStanza (the byte bound, called by GuardedTcp): drops what follows, nested elements included', () => {
  const problems: string[] = [];
  const parser = new BoundedParser(DEFAULT_STANZA_LIMITS, (c) => problems.push(c));
  const elements: Element[] = [];
  parser.on('element', (el: Element) => elements.push(el));
  parser.write(OPEN);
  assert.equal(parser.skipStanza('bytes'), false, 'no stanza open: nothing to skip');
  parser.write(`<presence from='a@b/c'><x xmlns='vcard-temp:x:update'><photo>`);
  assert.equal(parser.skipStanza('bytes'), true);
  assert.equal(parser.skipping, true);
  parser.write(`abc</photo></x><c xmlns='http://jabber.org/protocol/caps'><d><e/></d></c></presence><presence from='a@b/d'/>`);
  assert.deepEqual(problems, []);
  assert.deepEqual(elements.map((e) => [e.attrs.from, e.getChildElements().map((c) => c.name)]), [
    ['a@b/c', ['oversized']],
    ['a@b/d', []],
  ]);
});

test('an iq get/set stub keeps its type (the connection answers it with an error); depth still ends the stream', () => {
  const { elements } = parse({ maxTextBytes: 1024 }, `<iq type='set' id='s1' from='x@y'><query xmlns='jabber:iq:roster'><item jid='z@y' name='${'n'.repeat(10)}'>${'g'.repeat(2000)}</item></query></iq>`);
  assert.equal(elements[0]!.attrs.type, 'set');
  const deep = parse({ maxDepth: 8 }, `<message>${'<x>'.repeat(20)}`);
  assert.deepEqual(deep.problems, ['policy-violation']);
});
