import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageDTO } from '../../server/realtime/contract.js';
import { MessagesStore } from '../../client/state/messages.js';
import { ConversationsStore } from '../../client/state/conversations.js';
import { compareIds, compareMessages } from '../../client/state/order.js';

const PEER = 'bob@example.org';
function msg(id: number | string, stampSec: number, extra: Partial<MessageDTO> = {}): MessageDTO {
  return {
    id: String(id),
    peer: PEER,
    direction: 'in',
    from: PEER,
    to: 'alice@example.org',
    body: `m${id}`,
    encrypted: null,
    stamp: new Date(Date.UTC(2024, 0, 1, 12, 0, stampSec)).toISOString(),
    state: 'received',
    originId: null,
    stanzaId: null,
    ...extra,
  };
}
const ids = (s: MessagesStore, peer = PEER) => s.get(peer).messages.map((m) => m.id);

test('ids compare as integers, beyond Number precision', () => {
  assert.ok(compareIds('9', '10') < 0);
  assert.ok(compareIds('9007199254740993', '9007199254740992') > 0);
  assert.equal(compareIds('42', '42'), 0);
});

test('messages are ordered by stamp, then id, whatever the arrival order', () => {
  const s = new MessagesStore();
  s.upsert(msg(3, 30));
  s.upsert(msg(1, 10));
  s.upsert(msg(5, 20)); // later id, earlier stamp: goes between
  s.upsert(msg(4, 30)); // same stamp as 3: the id decides
  s.upsert(msg(2, 30));
  assert.deepEqual(ids(s), ['1', '5', '2', '3', '4']);
});

test('stamps with different precision and offsets compare by instant', () => {
  const a = msg(1, 0, { stamp: '2024-01-01T13:00:00+01:00' }); // 12:00Z
  const b = msg(2, 0, { stamp: '2024-01-01T12:00:00.500Z' });
  assert.ok(compareMessages(a, b) < 0);
  const s = new MessagesStore();
  s.upsert(b);
  s.upsert(a);
  assert.deepEqual(ids(s), ['1', '2']);
});

test('a message with a known id replaces the stored one at its place, never duplicates', () => {
  const s = new MessagesStore();
  for (const i of [1, 2, 3]) s.upsert(msg(i, i, { direction: 'out', state: 'pending' }));
  const before = s.get(PEER).messages;
  s.upsert(msg(2, 2, { direction: 'out', state: 'delivered', stanzaId: 'abc' }));
  s.upsert(msg(2, 2, { direction: 'out', state: 'delivered', stanzaId: 'abc' }));
  const after = s.get(PEER).messages;
  assert.deepEqual(ids(s), ['1', '2', '3']);
  assert.equal(after[1]!.state, 'delivered');
  assert.equal(after[1]!.stanzaId, 'abc');
  assert.notEqual(after, before, 'a changed conversation is a new array for the views');
  assert.equal(before[1]!.state, 'pending', 'the array a view held is left as it was');
});

test('an update that changes the stamp moves the message to its new place', () => {
  const s = new MessagesStore();
  for (const i of [1, 2, 3]) s.upsert(msg(i, i));
  s.upsert(msg(1, 10));
  assert.deepEqual(ids(s), ['2', '3', '1']);
});

test('older pages merge below, overlapping pages do not duplicate, the cursor is the oldest message', () => {
  const s = new MessagesStore();
  assert.equal(s.get(PEER).loaded, false);
  s.addLatestPage(PEER, [msg(8, 8), msg(9, 9), msg(10, 10)], true);
  assert.deepEqual(s.oldest(PEER), { stamp: msg(8, 8).stamp, id: '8' });
  s.addOlderPage(PEER, [msg(6, 6), msg(7, 7), msg(8, 8)], true);
  assert.deepEqual(ids(s), ['6', '7', '8', '9', '10']);
  assert.equal(s.get(PEER).hasMore, true);
  s.addOlderPage(PEER, [msg(5, 5)], false);
  assert.equal(s.get(PEER).hasMore, false);
  assert.deepEqual(ids(s), ['5', '6', '7', '8', '9', '10']);
});

test('an empty older page ends paging (the cursor could not move)', () => {
  const s = new MessagesStore();
  s.addLatestPage(PEER, [msg(1, 1)], true);
  s.addOlderPage(PEER, [], true);
  assert.equal(s.get(PEER).hasMore, false);
});

test('a newest page that overlaps what is loaded merges and keeps the paging state', () => {
  const s = new MessagesStore();
  s.addLatestPage(PEER, [msg(5, 5), msg(6, 6)], true);
  s.addOlderPage(PEER, [msg(4, 4)], false);
  s.upsert(msg(7, 7));
  // After a reconnect: the newest page reaches back into what is loaded.
  s.addLatestPage(PEER, [msg(6, 6), msg(7, 7), msg(8, 8)], true);
  assert.deepEqual(ids(s), ['4', '5', '6', '7', '8']);
  assert.equal(s.get(PEER).hasMore, false, 'the older end was already reached');
});

test('a newest page with a gap to what is loaded replaces it: no silent hole in the list', () => {
  const s = new MessagesStore();
  s.addLatestPage(PEER, [msg(1, 1), msg(2, 2)], false);
  s.addLatestPage(PEER, [msg(50, 50), msg(51, 51)], true);
  assert.deepEqual(ids(s), ['50', '51']);
  assert.equal(s.get(PEER).hasMore, true);
  assert.deepEqual(s.oldest(PEER)?.id, '50');
});

test('conversations are separate; reset keeps only the open one; subscribers hear every change', () => {
  const s = new MessagesStore();
  let calls = 0;
  const unsubscribe = s.subscribe(() => calls++);
  s.upsert(msg(1, 1));
  s.upsert(msg(2, 2, { peer: 'carol@example.org' }));
  assert.equal(s.lastChanged, 'carol@example.org');
  assert.deepEqual(ids(s, 'carol@example.org'), ['2']);
  assert.deepEqual(ids(s), ['1']);
  s.reset(PEER);
  assert.deepEqual(ids(s, 'carol@example.org'), []);
  assert.deepEqual(ids(s), ['1']);
  assert.equal(calls, 3);
  unsubscribe();
  s.upsert(msg(3, 3));
  assert.equal(calls, 3);
});

test('10 000 live messages in random order stay sorted and unique', () => {
  const s = new MessagesStore();
  const order = Array.from({ length: 10_000 }, (_, i) => i + 1);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (const i of order) s.upsert(msg(i, Math.floor(i / 3)));
  for (const i of order.slice(0, 1000)) s.upsert(msg(i, Math.floor(i / 3), { state: 'displayed' }));
  const list = s.get(PEER).messages;
  assert.equal(list.length, 10_000);
  for (let i = 1; i < list.length; i++) assert.ok(compareMessages(list[i - 1]!, list[i]!) < 0);
});

test("a message's state only moves forward: a late 'pending' answer to send never overwrites 'delivered'", () => {
  const s = new MessagesStore();
  const out = (state: MessageDTO['state'], extra: Partial<MessageDTO> = {}) => msg(1, 1, { direction: 'out', state, ...extra });
  s.upsert(out('pending'));
  s.upsert(out('delivered', { stanzaId: null }));
  s.upsert(out('pending')); // the send command's answer, held back past the receipt
  assert.equal(s.get(PEER).messages[0]!.state, 'delivered');
  s.upsert(out('sent', { stanzaId: 'arch-1' })); // stale state, but it brings the archive id: that is kept
  assert.deepEqual([s.get(PEER).messages[0]!.state, s.get(PEER).messages[0]!.stanzaId], ['delivered', 'arch-1']);
  s.upsert(out('displayed'));
  s.upsert(out('delivered'));
  assert.equal(s.get(PEER).messages[0]!.state, 'displayed');
  s.upsert(out('failed'));
  assert.equal(s.get(PEER).messages[0]!.state, 'displayed', 'failed only replaces pending or sent');
  assert.equal(s.get(PEER).messages.length, 1);
});

test("'failed' replaces pending or sent; after it only the server's real progress counts, never a stale 'pending'", () => {
  for (const from of ['pending', 'sent'] as const) {
    const s = new MessagesStore();
    s.upsert(msg(1, 1, { direction: 'out', state: from }));
    s.upsert(msg(1, 1, { direction: 'out', state: 'failed' }));
    assert.equal(s.get(PEER).messages[0]!.state, 'failed');
    s.upsert(msg(1, 1, { direction: 'out', state: 'pending' }));
    assert.equal(s.get(PEER).messages[0]!.state, 'failed');
    s.upsert(msg(1, 1, { direction: 'out', state: 'delivered' }));
    assert.equal(s.get(PEER).messages[0]!.state, 'delivered');
  }
  // Incoming: read stays read.
  const s = new MessagesStore();
  s.upsert(msg(2, 2, { state: 'displayed' }));
  s.upsert(msg(2, 2, { state: 'received' }));
  assert.equal(s.get(PEER).messages[0]!.state, 'displayed');
});

test('the conversation list keeps the newer state of its last message too', () => {
  const c = new ConversationsStore();
  const out = (state: MessageDTO['state']) => msg(1, 1, { direction: 'out', state });
  c.onMessage(out('pending'));
  c.onMessage(out('delivered'));
  c.onMessage(out('pending'));
  assert.equal(c.get(PEER)?.last.state, 'delivered');
});

test('a conversation read twice without a change is the same object; after a change it is a new one (views compare identities)', () => {
  const s = new MessagesStore();
  s.addLatestPage(PEER, [msg(1, 1), msg(2, 2)], false);
  const before = s.get(PEER);
  assert.equal(s.get(PEER), before);
  assert.equal(s.get(PEER).messages, before.messages);
  s.upsert(msg(3, 3));
  const after = s.get(PEER);
  assert.notEqual(after, before);
  assert.notEqual(after.messages, before.messages);
  assert.deepEqual(before.messages.map((m) => m.id), ['1', '2'], 'what a view holds never changes under it');
  assert.deepEqual(after.messages.map((m) => m.id), ['1', '2', '3']);
});
