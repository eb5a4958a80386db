import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/xml';
import { StreamManagement, type Outbound } from '../../server/xmpp/stream-management.js';

const enabled = (attrs: Record<string, string> = { id: 's1', resume: 'true' }) => xml('enabled', { xmlns: 'urn:xmpp:sm:3', ...attrs });
const msg = (n: number): Outbound => ({ stanza: xml('message', { id: String(n) }) });

test('inbound counting starts at <enabled/>, nothing before counts', () => {
  const sm = new StreamManagement();
  sm.onInbound(); // bind result, before SM
  sm.onEnabled(enabled());
  assert.equal(sm.ackValue(), '0');
  sm.onInbound();
  sm.onInbound();
  assert.equal(sm.ackValue(), '2');
  assert.equal(sm.id, 's1');
});

test('<enabled/> without resume gives no resumption id', () => {
  const sm = new StreamManagement();
  sm.onEnabled(enabled({}));
  assert.equal(sm.id, null);
});

test('acks resolve sendAcked entries in order and reject impossible h', async () => {
  const sm = new StreamManagement();
  sm.onEnabled(enabled());
  const settled: string[] = [];
  for (let i = 1; i <= 3; i++) sm.onOutbound({ ...msg(i), acked: { resolve: () => settled.push(`ok${i}`), reject: () => settled.push(`lost${i}`) } });
  assert.equal(sm.onAck(2), null);
  assert.deepEqual(settled, ['ok1', 'ok2']);
  assert.equal(sm.unacked.length, 1);
  assert.match(sm.onAck(5) ?? '', /only 3/);
  assert.equal(sm.acked, 2);
  assert.equal(sm.onAck(3), null);
  assert.deepEqual(settled, ['ok1', 'ok2', 'ok3']);
});

test('h wraps at 2^32', () => {
  const sm = new StreamManagement();
  sm.onEnabled(enabled());
  sm.inbound = 2 ** 32 - 1;
  sm.onInbound();
  assert.equal(sm.ackValue(), '0');
  sm.acked = 2 ** 32 - 1;
  sm.onOutbound(msg(1));
  sm.onOutbound(msg(2));
  assert.equal(sm.onAck(1), null); // 2^32-1 -> 1 is two stanzas
  assert.equal(sm.unacked.length, 0);
});

test('resume: acked ones dropped, the rest handed back for resending; inbound count kept', () => {
  const sm = new StreamManagement();
  sm.onEnabled(enabled());
  for (let i = 1; i <= 4; i++) sm.onOutbound(msg(i));
  sm.onInbound();
  sm.onStreamLost();
  assert.equal(sm.enabled, false);
  assert.equal(sm.id, 's1');
  const { resend, error } = sm.onResumed(3);
  assert.equal(error, null);
  assert.deepEqual(resend.map((o) => o.stanza.attrs.id), ['4']);
  assert.equal(sm.enabled, true);
  assert.equal(sm.ackValue(), '1');
  sm.onOutbound(resend[0]!); // written again: counted again
  assert.equal(sm.onAck(4), null);
});

test('session lost: unacked handed back, counters and id forgotten', () => {
  const sm = new StreamManagement();
  sm.onEnabled(enabled());
  for (let i = 1; i <= 3; i++) sm.onOutbound(msg(i));
  const lost = sm.onSessionLost(1);
  assert.deepEqual(lost.map((o) => o.stanza.attrs.id), ['2', '3']);
  assert.equal(sm.id, null);
  assert.equal(sm.enabled, false);
});

test('without SM, sendAcked resolves at write time', () => {
  const sm = new StreamManagement();
  let ok = false;
  sm.onOutbound({ ...msg(1), acked: { resolve: () => (ok = true), reject: () => {} } });
  assert.equal(ok, true);
  assert.equal(sm.unacked.length, 0);
});
