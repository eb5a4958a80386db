/** The tab's search model (server and local hits merged), and a conversation opened around a hit (around, newer, live). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Commands, CommandResults, MessageDTO } from '../../server/realtime/contract.js';
import { MessagesStore } from '../../client/state/messages.js';
import { HistoryLoader } from '../../client/state/history.js';
import { SearchModel, mergeHits, type LocalPlaintext } from '../../client/state/search.js';

const PEER = 'bob@example.org';
const msg = (id: number, body = `m${id}`): MessageDTO => ({
  id: String(id), peer: PEER, direction: 'in', from: PEER, to: 'alice@example.org', body, encrypted: null,
  stamp: new Date(Date.UTC(2024, 0, 1, 12, 0, id)).toISOString(), state: 'received', originId: null, stanzaId: null,
});
const settle = () => new Promise((r) => setTimeout(r, 0));

test('search: server hits and local OMEMO hits in one list, newest first, one per id; a newer query wins', async () => {
  const asked: Commands['search'][] = [];
  const answers: ((r: CommandResults['search']) => void)[] = [];
  const local: LocalPlaintext[] = [{ id: '15', peer: PEER, direction: 'in', stamp: msg(15).stamp, text: 'secret lunch plans' }];
  const model = new SearchModel(
    (p) => {
      asked.push(p);
      return new Promise((resolve) => answers.push(resolve));
    },
    () => async (terms, peer) => local.filter((l) => (peer === undefined || l.peer === peer) && terms.every((t) => l.text.includes(t))),
  );
  const first = model.search('lunch');
  const second = model.search('LUNCH plans');
  answers[0]!({ hits: [{ message: msg(99, 'lunch'), snippet: { text: 'lunch', ranges: [[0, 5]], cutStart: false, cutEnd: false } }], hasMore: false });
  answers[1]!({ hits: [20, 10].map((id) => ({ message: msg(id, 'lunch plans'), snippet: { text: 'lunch plans', ranges: [[0, 11]], cutStart: false, cutEnd: false } })), hasMore: true });
  await Promise.all([first, second]);
  assert.deepEqual(model.hits.map((h) => [h.id, h.encrypted]), [['20', false], ['15', true], ['10', false]], 'the first answer came too late to count');
  assert.deepEqual(model.hits[1]!.snippet.ranges, [[7, 12], [13, 18]]);
  assert.equal(model.hasMore, true);

  const more = model.more();
  assert.deepEqual(asked.at(-1), { query: 'LUNCH plans', before: { stamp: msg(10).stamp, id: '10' } });
  answers.at(-1)!({ hits: [{ message: msg(5, 'lunch plans'), snippet: { text: 'x', ranges: [], cutStart: false, cutEnd: false } }], hasMore: false });
  await more;
  assert.deepEqual(model.hits.map((h) => h.id), ['20', '15', '10', '5']);

  const scoped = model.search('lunch', PEER);
  assert.deepEqual(asked.at(-1), { query: 'lunch', peer: PEER });
  answers.at(-1)!({ hits: [], hasMore: false });
  await scoped;
  assert.deepEqual(model.hits.map((h) => h.id), ['15'], 'the local search is scoped too');
  const elsewhere = model.search('lunch', 'carol@example.org');
  answers.at(-1)!({ hits: [], hasMore: false });
  await elsewhere;
  assert.deepEqual(model.hits, []);

  await model.search('   ');
  assert.deepEqual(model.hits, []);
  assert.equal(asked.length, 5, 'an empty query asks nobody');
});

test('mergeHits: the same id once, ties on stamp by id', () => {
  const h = (id: string, stamp: string) => ({ id, peer: PEER, direction: 'in' as const, stamp, snippet: { text: '', ranges: [], cutStart: false, cutEnd: false }, encrypted: false });
  const s = '2024-01-01T00:00:00.000Z';
  assert.deepEqual(mergeHits([h('9', s), h('10', s)], [h('9', s)]).map((x) => x.id), ['10', '9']);
});

test('around: replaces the loaded page; newer pages continue to the present; live messages wait meanwhile', async () => {
  const messages = new MessagesStore();
  const pending: ((r: unknown) => void)[] = [];
  const asked: unknown[] = [];
  const ask = <T,>(p: unknown) => {
    asked.push(p);
    return new Promise<T>((resolve) => pending.push(resolve as (r: unknown) => void));
  };
  const loader = new HistoryLoader(messages, (p) => ask(p), () => true, { around: (p) => ask(p), newer: (p) => ask(p) });
  messages.addLatestPage(PEER, [msg(50), msg(51)], true);

  loader.loadAround(PEER, '20');
  assert.deepEqual(asked[0], { peer: PEER, id: '20' });
  pending[0]!({ messages: [msg(19), msg(20), msg(21)], hasOlder: true, hasNewer: true });
  await settle();
  let conv = messages.get(PEER);
  assert.deepEqual(conv.messages.map((m) => m.id), ['19', '20', '21']);
  assert.equal(conv.hasNewer, true);
  assert.equal(conv.hasMore, true);

  messages.upsert(msg(60));
  assert.deepEqual(messages.get(PEER).messages.map((m) => m.id), ['19', '20', '21'], 'a live message past the gap waits');

  loader.loadNewer(PEER);
  assert.deepEqual(asked[1], { peer: PEER, after: { stamp: msg(21).stamp, id: '21' }, limit: 50 });
  pending[1]!({ messages: [msg(22), msg(23)], hasMore: false });
  await settle();
  conv = messages.get(PEER);
  assert.deepEqual(conv.messages.map((m) => m.id), ['19', '20', '21', '22', '23']);
  assert.equal(conv.hasNewer, false);
  loader.loadNewer(PEER);
  assert.equal(asked.length, 2, 'nothing newer to ask for');
  messages.upsert(msg(60));
  assert.equal(messages.get(PEER).messages.at(-1)!.id, '60', 'at the present, live messages append again');
});
