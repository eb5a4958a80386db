/**
 * Group commit of inbound messages (server/store/group-commit.ts) end to end: real Prosody, real PostgreSQL, Parley in
 * process, socket.io tabs. Messages for many accounts arriving together share multi-row INSERTs; each must still be
 * stored once, shown once per tab, only after it is stored, and in order per conversation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/xml';
import pg from 'pg';
import { TestStack, type LoggedIn, type TestTab } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { until } from '../harness/poll.js';
import type { MessageDTO } from '../../server/realtime/contract.js';

const ACCOUNTS = 20;
const SENDERS = 4;
const PER_SENDER = 500; // 2,000 messages in all, 100 per account
const RESENT = 100; // of them sent a second time (same origin-id): stored and shown once

let stack: TestStack;
const peers: XmppPeer[] = [];
before(async () => {
  stack = await TestStack.start({ env: { PARLEY_SOCKET_RATE: '10000', PARLEY_SOCKET_BURST: '10000' } });
});
after(async () => {
  for (const p of peers) await p.stop().catch(() => undefined);
  await stack?.close();
});

test('a burst of 2,000 messages to 20 accounts: every one stored once and delivered once to each tab, in order per conversation', { timeout: 300_000 }, async () => {
  const accounts: LoggedIn[] = [];
  for (let i = 0; i < ACCOUNTS; i += 5) accounts.push(...(await Promise.all(Array.from({ length: 5 }, () => stack.loggedIn('gc')))));
  // Two tabs per account; every tab records what it is shown, and checks that each row is already in the database.
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  const seen = new Map<TestTab, MessageDTO[]>();
  const unstored: string[] = [];
  const checks: Promise<void>[] = [];
  for (const a of accounts) {
    for (const tab of [a.tab, a.openTab()]) {
      seen.set(tab, []);
      tab.socket.on('message', ({ message }: { message: MessageDTO }) => {
        if (message.direction !== 'in') return;
        seen.get(tab)!.push(message);
        checks.push(
          pool.query('SELECT 1 FROM "Message" WHERE id = $1', [message.id]).then(({ rowCount }) => {
            if (rowCount !== 1) unstored.push(message.id);
          }),
        );
      });
    }
  }
  await Promise.all([...seen.keys()].map((t) => t.waitFor('hello')));

  // Count the statements that insert messages while the burst is stored.
  const statements: string[] = [];
  const original = stack.parley.db.pool.query.bind(stack.parley.db.pool);
  (stack.parley.db.pool as { query: unknown }).query = (text: unknown, ...rest: unknown[]) => {
    if (typeof text === 'string' && text.startsWith('INSERT INTO "Message"')) statements.push(text);
    return (original as (...a: unknown[]) => unknown)(text, ...rest);
  };
  try {
    for (let i = 0; i < SENDERS; i++) {
      const u = await stack.newUser('gcsender');
      peers.push(await XmppPeer.login(stack.server, u.jid, u.password));
    }
    // The burst: each sender writes to every account in turn without waiting for acks; every 20th message again.
    const chat = (to: string, id: string, body: string) =>
      xml('message', { to, type: 'chat', id }, xml('body', {}, body), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }));
    await Promise.all(
      peers.map(async (peer, s) => {
        for (let n = 0; n < PER_SENDER; n++) {
          const to = accounts[n % ACCOUNTS]!.jid;
          const id = `s${s}-n${n}`;
          void peer.conn.send(chat(to, id, `from ${s} #${n}`));
          if (n % 20 === 0) void peer.conn.send(chat(to, id, `from ${s} #${n}`));
          if (n % 100 === 99) await new Promise((r) => setImmediate(r));
        }
        await peer.conn.sendAcked(xml('iq', { type: 'get', to: stack.server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      }),
    );
    const total = SENDERS * PER_SENDER;
    const perAccount = total / ACCOUNTS;
    await until(
      async () => [...seen.values()].every((list) => list.length >= perAccount),
      'every tab was shown its 100 messages',
      240_000,
      200,
    );
    await Promise.all(checks);
    assert.deepEqual(unstored, [], 'a tab was shown a message that was not stored');

    // Stored once: exactly the 2,000 distinct messages, none twice, in send order per conversation.
    const { rows } = await pool.query<{ accountId: string; peer: string; originId: string; body: string }>(
      `SELECT "accountId", peer, "originId", body FROM "Message" WHERE direction = 'in' AND "accountId" = ANY($1::bigint[]) ORDER BY stamp, id`,
      [accounts.map((a) => a.accountId)],
    );
    assert.equal(rows.length, total, 'rows stored');
    assert.equal(new Set(rows.map((r) => `${r.accountId} ${r.originId}`)).size, total, 'no message stored twice');
    const order = (list: { peer: string; originId: string | null }[]) => {
      const byPeer = new Map<string, number[]>();
      for (const m of list) byPeer.set(m.peer, [...(byPeer.get(m.peer) ?? []), Number(/-n(\d+)$/.exec(m.originId ?? '')![1])]);
      return byPeer;
    };
    for (const a of accounts) {
      for (const [peer, ns] of order(rows.filter((r) => r.accountId === a.accountId))) {
        assert.deepEqual(ns, [...ns].sort((x, y) => x - y), `stored out of order: ${a.jid} from ${peer}`);
      }
    }
    // Delivered once to each tab, in order per conversation.
    for (const [tab, list] of seen) {
      assert.equal(list.length, perAccount, 'messages shown in one tab');
      assert.equal(new Set(list.map((m) => m.id)).size, perAccount, 'a tab was shown a message twice');
      for (const [peer, ns] of order(list)) assert.deepEqual(ns, [...ns].sort((x, y) => x - y), `shown out of order from ${peer}`);
      assert.ok(tab.socket.connected);
    }
    // And grouped: far fewer INSERT statements than messages (the resent ones and any conflict take one more each).
    assert.ok(statements.length < (total + RESENT) / 2, `${statements.length} INSERT statements for ${total + RESENT} messages`);
  } finally {
    (stack.parley.db.pool as { query: unknown }).query = original;
    await pool.end();
  }
});
