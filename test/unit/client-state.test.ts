/** ClientState: the union of the tabs' visibility, and the CSI nonzas (XEP-0352) it sends only when they change something. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientState } from '../../server/features/client-state.js';
import type { SessionContext } from '../../server/features/context.js';
import type { Element } from '@xmpp/xml';

function fixture(opts: { offers?: boolean } = {}) {
  const sent: string[] = [];
  const changes: boolean[] = [];
  const conn = {
    state: 'online',
    offers: (name: string, ns: string) => (opts.offers ?? true) && name === 'csi' && ns === 'urn:xmpp:csi:0',
    sendNonza: async (el: Element) => (sent.push(el.toString()), true),
  };
  const ctx = { conn, log: { debug() {}, warn() {} } } as unknown as SessionContext;
  return { cs: new ClientState(ctx, (v) => changes.push(v)), sent, changes, conn };
}

const flush = () => new Promise((r) => setImmediate(r));

test('the last visible tab hiding sends <inactive/>; any tab showing again sends <active/>', async () => {
  const { cs, sent, changes } = fixture();
  cs.attach('t1', true);
  cs.attach('t2', false);
  await flush();
  assert.deepEqual(sent, [], 'one tab is visible: the stream started active, nothing to say');
  cs.setVisible('t1', false);
  await flush();
  assert.deepEqual(sent, ['<inactive xmlns="urn:xmpp:csi:0"/>']);
  cs.setVisible('t1', false);
  cs.setVisible('unknown-tab', true);
  await flush();
  assert.equal(sent.length, 1, 'repeats and unknown tabs change nothing');
  cs.setVisible('t2', true);
  await flush();
  assert.deepEqual(sent.slice(1), ['<active xmlns="urn:xmpp:csi:0"/>']);
  assert.deepEqual(changes, [true, false, true], 'the first visible tab counts as someone coming back');
});

test('a visible tab closing counts as nobody looking; a new stream is told again, a resumed one only what changed', async () => {
  const { cs, sent, conn } = fixture();
  cs.attach('t1', true);
  conn.state = 'connecting';
  cs.detach('t1');
  await flush();
  assert.deepEqual(sent, [], 'offline: nothing is sent');
  assert.equal(cs.anyVisible, false);
  conn.state = 'online';
  await cs.resumed();
  assert.deepEqual(sent, ['<inactive xmlns="urn:xmpp:csi:0"/>'], 'told after the resume');
  await cs.resumed();
  assert.equal(sent.length, 1);
  await cs.startStream();
  assert.deepEqual(sent.slice(1), ['<inactive xmlns="urn:xmpp:csi:0"/>'], 'a new stream starts active on the server');
});

test('a server that does not offer CSI gets no nonza, but away still follows visibility', async () => {
  const { cs, sent, changes } = fixture({ offers: false });
  cs.attach('t1', true);
  cs.setVisible('t1', false);
  await cs.startStream();
  await flush();
  assert.deepEqual(sent, []);
  assert.deepEqual(changes, [true, false]);
});
