import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import { unwrapCarbon } from '../../server/stanza/carbons.js';
import { buildMamQuery, parseMamFin, parseMamResult } from '../../server/stanza/mam.js';
import { parseAcknowledgement, wantsReceipt, buildReceipt } from '../../server/stanza/receipts.js';
import { parseChatMessage } from '../../server/stanza/message.js';

const me = 'alice@example.org';

test('a carbon from our own bare JID is unwrapped; one from anyone else is flagged as forged', () => {
  const carbon = (from: string) =>
    parse(`<message from='${from}' to='alice@example.org/parley' type='chat'>
      <sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
        <message from='alice@example.org/phone' to='bob@example.org' type='chat' id='x'><body>sent elsewhere</body></message>
      </forwarded></sent></message>`);
  const ok = unwrapCarbon(carbon('alice@example.org'), me);
  assert.equal(ok.kind, 'carbon');
  if (ok.kind === 'carbon') {
    assert.equal(ok.direction, 'sent');
    assert.equal(parseChatMessage(ok.message, me)?.peer, 'bob@example.org');
  }
  assert.deepEqual(unwrapCarbon(carbon('mallory@evil.org'), me), { kind: 'forged', from: 'mallory@evil.org' });
  assert.equal(unwrapCarbon(carbon('alice@example.org/phone'), me).kind, 'forged', 'a full JID is not our bare JID');
  assert.equal(unwrapCarbon(parse(`<message from='bob@example.org'><body>x</body></message>`), me).kind, 'none');
});

test('MAM queries are built with RSM paging', () => {
  assert.equal(
    buildMamQuery({ queryId: 'q1', after: 'a1', max: 250 }).toString(),
    `<iq type="set"><query xmlns="urn:xmpp:mam:2" queryid="q1"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:mam:2</value></field></x><set xmlns="http://jabber.org/protocol/rsm"><max>250</max><after>a1</after></set></query></iq>`,
  );
  const back = buildMamQuery({ queryId: 'q2', before: '', with: 'bob@example.org', start: new Date('2026-01-01T00:00:00Z'), max: 50 }).toString();
  assert.match(back, /<field var="with"><value>bob@example.org<\/value><\/field><field var="start"><value>2026-01-01T00:00:00.000Z<\/value>/);
  assert.match(back, /<before\/>/);
});

test('MAM results are accepted from our archive only, with the forwarded delay as stamp', () => {
  const result = (from: string) =>
    parse(`<message ${from} to='alice@example.org/parley'><result xmlns='urn:xmpp:mam:2' queryid='q1' id='arch-1'>
      <forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-11-01T12:00:00Z'/>
        <message from='bob@example.org/x' to='alice@example.org' type='chat'><body>old</body></message>
      </forwarded></result></message>`);
  const ok = parseMamResult(result(''), me);
  assert.equal(ok.kind, 'result');
  if (ok.kind === 'result') {
    assert.equal(ok.archiveId, 'arch-1');
    assert.equal(parseChatMessage(ok.message, me)?.stamp.toISOString(), '2026-11-01T12:00:00.000Z');
    assert.equal(ok.stamp?.toISOString(), '2026-11-01T12:00:00.000Z');
  }
  // A sender's own (backdated) delay inside the archived message does not replace the archive's time.
  const backdated = parseMamResult(
    parse(`<message to='alice@example.org/parley'><result xmlns='urn:xmpp:mam:2' queryid='q1' id='arch-2'>
      <forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-11-01T12:00:00Z'/>
        <message from='bob@example.org/x' to='alice@example.org' type='chat'><body>old</body><delay xmlns='urn:xmpp:delay' stamp='2001-01-01T00:00:00Z'/></message>
      </forwarded></result></message>`),
    me,
  );
  assert.equal(backdated.kind === 'result' ? backdated.stamp?.toISOString() : null, '2026-11-01T12:00:00.000Z');
  assert.equal(parseMamResult(result(`from='alice@example.org'`), me).kind, 'result');
  assert.equal(parseMamResult(result(`from='bob@example.org'`), me).kind, 'forged');
});

test('the MAM fin element tells whether paging is complete', () => {
  const fin = parse(`<iq type='result'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><first>a</first><last>b</last><count>2</count></set></fin></iq>`);
  assert.deepEqual(parseMamFin(fin), { complete: true, first: 'a', last: 'b', count: 2 });
  assert.deepEqual(parseMamFin(parse(`<iq type='result'><fin xmlns='urn:xmpp:mam:2'/></iq>`)), { complete: false, first: null, last: null, count: null });
});

test('receipts and markers are recognised', () => {
  assert.deepEqual(parseAcknowledgement(parse(`<message><received xmlns='urn:xmpp:receipts' id='m1'/></message>`)), { kind: 'received', id: 'm1' });
  assert.deepEqual(parseAcknowledgement(parse(`<message><displayed xmlns='urn:xmpp:chat-markers:0' id='m2'/></message>`)), { kind: 'displayed', id: 'm2' });
  assert.equal(parseAcknowledgement(parse(`<message><received xmlns='urn:xmpp:receipts'/></message>`)), null);
  assert.equal(wantsReceipt(parse(`<message id='m3'><body>x</body><request xmlns='urn:xmpp:receipts'/></message>`)), true);
  assert.equal(buildReceipt('bob@example.org', 'm3').toString(), `<message to="bob@example.org" type="chat"><received xmlns="urn:xmpp:receipts" id="m3"/><store xmlns="urn:xmpp:hints"/></message>`);
});
