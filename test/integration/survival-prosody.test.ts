/**
 * Survival 1: Prosody is SIGKILLed and restarted while two accounts exchange 500 messages through Parley.
 * Every message must end up in both accounts' histories exactly once, in each sender's order.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestStack } from '../harness/parley.js';

let stack: TestStack;

before(async () => {
  // SQLite storage: the archive and rosters survive the kill, as on a real server.
  stack = await TestStack.start({ prosody: { storage: 'sql' }, env: { PARLEY_SOCKET_RATE: '1000', PARLEY_SOCKET_BURST: '1000' } });
});
after(async () => {
  await stack?.close();
});

test('500 messages across a Prosody SIGKILL + restart: all there, once, in order, on both sides', async () => {
  const alice = await stack.loggedIn('surv-a');
  const bob = await stack.loggedIn('surv-b');
  const total = 500;
  let restarted: Promise<void> | null = null;
  for (let i = 0; i < total; i++) {
    const [from, to] = i % 2 === 0 ? [alice, bob] : [bob, alice];
    await from.tab.command('send', { to: to.jid, body: `msg-${String(i).padStart(3, '0')}`, originId: randomUUID() });
    if (i === 250) {
      await stack.prosody.kill();
      restarted = sleep(1000).then(() => stack.prosody.restart());
    }
  }
  await restarted;

  const bodies = async (accountId: string, peer: string) =>
    (await stack.parley.stores.messages.page(accountId, peer, { limit: 2 * total })).map((m) => m.body!).reverse();
  const deadline = Date.now() + 90_000;
  let a: string[] = [];
  let b: string[] = [];
  const unsent = async () =>
    (await stack.parley.stores.messages.pendingOutbox(alice.accountId)).length + (await stack.parley.stores.messages.pendingOutbox(bob.accountId)).length;
  // Bob can hold a message before Alice's server ack for it has been stored: wait for both.
  while (Date.now() < deadline) {
    a = await bodies(alice.accountId, bob.jid);
    b = await bodies(bob.accountId, alice.jid);
    if (new Set(a).size >= total && new Set(b).size >= total && (await unsent()) === 0) break;
    await sleep(500);
  }
  const expected = Array.from({ length: total }, (_, i) => `msg-${String(i).padStart(3, '0')}`);
  for (const [name, got] of [['alice', a], ['bob', b]] as const) {
    assert.equal(got.length, total, `${name} has ${got.length} rows for ${new Set(got).size} distinct messages`);
    assert.deepEqual([...got].sort(), expected, `${name}: every message exactly once`);
    for (const parity of [0, 1]) {
      const own = got.filter((x) => Number(x.slice(4)) % 2 === parity);
      assert.deepEqual(own, [...own].sort(), `${name}: each sender's messages in order`);
    }
  }
  assert.equal(await unsent(), 0, 'nothing left unsent');
});
