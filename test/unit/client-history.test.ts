/** HistoryLoader: one page in flight per conversation, errors kept until the retry, older pages from the oldest loaded message. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Commands, CommandResults, MessageDTO } from '../../server/realtime/contract.js';
import { MessagesStore } from '../../client/state/messages.js';
import { HistoryLoader, PAGE } from '../../client/state/history.js';

const PEER = 'bob@example.org';
const msg = (id: number): MessageDTO => ({
  id: String(id), peer: PEER, direction: 'in', from: PEER, to: 'alice@example.org', body: `m${id}`, encrypted: null,
  stamp: new Date(Date.UTC(2024, 0, 1, 12, 0, id)).toISOString(), state: 'received', originId: null, stanzaId: null,
});

function setup(connected = true) {
  const messages = new MessagesStore();
  const asked: Commands['history'][] = [];
  const pending: { resolve: (r: CommandResults['history']) => void; reject: (e: Error) => void }[] = [];
  const loader = new HistoryLoader(
    messages,
    (p) => {
      asked.push(p);
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    () => connected,
  );
  const settle = async () => new Promise((r) => setTimeout(r, 0));
  return { messages, loader, asked, pending, settle };
}

test('the newest page first, then older pages before the oldest loaded message; one request at a time', async () => {
  const { messages, loader, asked, pending, settle } = setup();
  loader.ensureLoaded(PEER);
  loader.ensureLoaded(PEER);
  loader.loadOlder(PEER);
  assert.equal(asked.length, 1, 'a page in flight is not asked again');
  assert.deepEqual(asked[0], { peer: PEER, limit: PAGE });
  assert.equal(loader.isLoading(PEER), true);
  pending[0]!.resolve({ messages: [msg(10), msg(11)], hasMore: true });
  await settle();
  assert.equal(loader.isLoading(PEER), false);
  assert.deepEqual(messages.get(PEER).messages.map((m) => m.id), ['10', '11']);
  loader.ensureLoaded(PEER);
  assert.equal(asked.length, 1, 'loaded: nothing to ask');
  loader.loadOlder(PEER);
  assert.deepEqual(asked[1], { peer: PEER, before: { stamp: msg(10).stamp, id: '10' }, limit: PAGE });
  pending[1]!.resolve({ messages: [msg(9)], hasMore: false });
  await settle();
  loader.loadOlder(PEER);
  assert.equal(asked.length, 2, 'the beginning reached: no more pages');
});

test('a failed page keeps its error until the retry asks the same kind of page again', async () => {
  const { loader, asked, pending, settle } = setup();
  loader.loadLatest(PEER);
  pending[0]!.reject(new Error('Parley did not answer in time.'));
  await settle();
  assert.equal(loader.error(PEER), 'Parley did not answer in time.');
  loader.retry(PEER);
  assert.deepEqual(asked[1], { peer: PEER, limit: PAGE }, 'nothing loaded yet: the newest page again');
  assert.equal(loader.error(PEER), null);
});

test('nothing is asked while the tab is not connected', () => {
  const { loader, asked } = setup(false);
  loader.ensureLoaded(PEER);
  assert.equal(asked.length, 0);
  assert.equal(loader.isLoading(PEER), false);
});
