/** Metrics and readiness: counters fed by an observed connection and store, gauges read at scrape time, SELECT 1 with a time limit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { xml, type Element } from '@xmpp/xml';
import { ParleyMetrics } from '../../server/ops/metrics.js';
import { Readiness, databaseAnswers } from '../../server/ops/readiness.js';
import type { XmppConnection } from '../../server/xmpp/connection.js';
import type { MessageStore } from '../../server/store/messages.js';

/** A stand-in with XmppConnection's surface: the thing under test is the metrics wrapper, not the connection. */
class FakeConnection extends EventEmitter {
  state = 'online';
  sent: Element[] = [];
  async send(el: Element) {
    this.sent.push(el);
  }
  async sendAcked(el: Element) {
    this.sent.push(el);
  }
  // Like XmppConnection.iq: writes through this.send.
  async iq(el: Element) {
    await this.send(el);
    return xml('iq', { type: 'result', id: el.attrs.id });
  }
}

const value = async (m: ParleyMetrics, name: string, labels: Record<string, string> = {}) => {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (metric?.values as { labels: Record<string, string>; value: number; metricName?: string }[] | undefined)?.find(
    (x) => !x.metricName?.endsWith('_bucket') && !x.metricName?.endsWith('_sum') && Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value;
};

test('an observed connection counts stanzas both ways and drops while online, without becoming a stanza listener', async () => {
  const m = new ParleyMetrics();
  const fake = new FakeConnection();
  const conn = m.observeConnection(fake as unknown as XmppConnection);
  // XmppConnection releases held stanzas to its first 'stanza' listener: metrics must not be that listener.
  assert.equal(fake.listenerCount('stanza'), 0);
  const received: Element[] = [];
  conn.on('stanza', (el: Element) => received.push(el));
  conn.emit('stanza', xml('message', { from: 'a@example.org' }));
  conn.emit('stanza', xml('presence', {}));
  assert.equal(received.length, 2, 'the session still gets every stanza');
  await conn.send(xml('message', { to: 'b@example.org' }));
  await conn.sendAcked(xml('message', { to: 'b@example.org' }));
  await conn.iq(xml('iq', { type: 'get', id: 'q1' }));
  assert.equal(fake.sent.length, 3);
  assert.equal(await value(m, 'parley_xmpp_stanzas_total', { direction: 'out' }), 3);
  assert.equal(await value(m, 'parley_xmpp_stanzas_total', { direction: 'in' }), 3, 'two stanzas and one IQ result');

  fake.emit('state', 'resuming');
  fake.emit('state', 'online');
  fake.emit('state', 'reconnecting');
  fake.emit('state', 'connecting'); // not from online: the same drop, not a new one
  fake.emit('state', 'reconnecting');
  assert.equal(await value(m, 'parley_xmpp_reconnects_total', { mode: 'resuming' }), 1);
  assert.equal(await value(m, 'parley_xmpp_reconnects_total', { mode: 'reconnecting' }), 1);
});

test('instrumentConnect observes every connection the factory opens', async () => {
  const m = new ParleyMetrics();
  const fake = new FakeConnection();
  const connect = m.instrumentConnect(async () => fake as unknown as XmppConnection);
  const conn = await connect({ jid: 'a@example.org', password: 'x' });
  await conn.send(xml('presence'));
  assert.equal(await value(m, 'parley_xmpp_stanzas_total', { direction: 'out' }), 1);
});

test('gauges read sessions and tabs at scrape time; default metrics include event-loop lag', async () => {
  const m = new ParleyMetrics();
  const live = [{ tabCount: 2 }, { tabCount: 0 }, { tabCount: 3 }];
  m.watchSessions({ get size() { return live.length; }, sessions: () => live });
  assert.equal(await value(m, 'parley_logged_in_accounts'), 3);
  assert.equal(await value(m, 'parley_open_tabs'), 5);
  live.pop();
  assert.equal(await value(m, 'parley_open_tabs'), 2);
  const { body, contentType } = await m.render();
  assert.match(contentType, /text\/plain/);
  assert.match(body, /^nodejs_eventloop_lag_seconds \d/m);
  assert.match(body, /^parley_logged_in_accounts 2$/m);
});

test('the message store decorator times inserts by outcome and passes errors on', async () => {
  const m = new ParleyMetrics();
  let calls = 0;
  const store = {
    async insert() {
      calls++;
      if (calls === 3) throw new Error('db down');
      await new Promise((r) => setTimeout(r, 5));
      return { row: {} as never, inserted: calls === 1 };
    },
  } as unknown as MessageStore;
  m.instrumentMessageStore(store);
  assert.equal((await store.insert({} as never)).inserted, true);
  assert.equal((await store.insert({} as never)).inserted, false);
  await assert.rejects(store.insert({} as never), /db down/);
  const { body } = await m.render();
  assert.match(body, /^parley_message_store_insert_seconds_count\{outcome="inserted"\} 1$/m);
  assert.match(body, /^parley_message_store_insert_seconds_count\{outcome="duplicate"\} 1$/m);
  assert.match(body, /^parley_message_store_insert_seconds_count\{outcome="error"\} 1$/m);
  const sum = Number(/^parley_message_store_insert_seconds_sum\{outcome="inserted"\} (\S+)$/m.exec(body)?.[1]);
  assert.ok(sum >= 0.004 && sum < 1, `inserted took ${sum} s`);
});

test('the message store decorator times a batch once and counts its messages by outcome, not through insert', async () => {
  const m = new ParleyMetrics();
  let batches = 0;
  const store = {
    async insert() {
      throw new Error('a batch must not be timed as single inserts');
    },
    async insertMany(msgs: unknown[]) {
      batches++;
      if (batches === 2) throw new Error('db down');
      await new Promise((r) => setTimeout(r, 5));
      return msgs.map((_, i) => ({ row: {} as never, inserted: i % 3 !== 0 }));
    },
  } as unknown as MessageStore;
  m.instrumentMessageStore(store);
  assert.equal((await store.insertMany(Array.from({ length: 6 }, () => ({}) as never))).length, 6);
  await assert.rejects(store.insertMany([{} as never]), /db down/);
  const { body } = await m.render();
  assert.match(body, /^parley_message_store_batch_seconds_count\{outcome="ok"\} 1$/m);
  assert.match(body, /^parley_message_store_batch_seconds_count\{outcome="error"\} 1$/m);
  assert.match(body, /^parley_message_store_batch_messages_total\{outcome="inserted"\} 4$/m);
  assert.match(body, /^parley_message_store_batch_messages_total\{outcome="duplicate"\} 2$/m);
  assert.doesNotMatch(body, /^parley_message_store_insert_seconds_count/m);
  const sum = Number(/^parley_message_store_batch_seconds_sum\{outcome="ok"\} (\S+)$/m.exec(body)?.[1]);
  assert.ok(sum >= 0.004 && sum < 1, `the batch took ${sum} s`);
});

test('two instances in one process keep separate registries', async () => {
  const a = new ParleyMetrics();
  const b = new ParleyMetrics();
  a.watchSessions({ size: 7, sessions: () => [] });
  assert.equal(await value(a, 'parley_logged_in_accounts'), 7);
  assert.equal(await value(b, 'parley_logged_in_accounts'), 0);
});

test('readiness: SELECT 1 answers -> ready; an error or a hang past the limit -> the reason; stopping -> not ready', async () => {
  assert.deepEqual(await databaseAnswers({ query: async () => ({ rows: [{ '?column?': 1 }] }) }, 1000), { ready: true });
  const broken = await databaseAnswers({ query: async () => Promise.reject(new Error('Cannot use a pool after calling end on the pool')) }, 1000);
  assert.deepEqual(broken, { ready: false, reason: 'database error: Cannot use a pool after calling end on the pool' });
  const started = Date.now();
  const hung = await databaseAnswers({ query: () => new Promise(() => undefined) }, 150);
  assert.equal(hung.ready, false);
  assert.match((hung as { reason: string }).reason, /within 150 ms/);
  assert.ok(Date.now() - started < 1000);

  const readiness = new Readiness({ db: { query: async () => ({}) } });
  assert.equal((await readiness.check()).ready, true);
  readiness.markStopping();
  assert.match(((await readiness.check()) as { reason: string }).reason, /shutting down/);
});
