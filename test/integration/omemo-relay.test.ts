/**
 * The tab-to-tab relay of the history handover on a real stack: it reaches the account's other tabs (not the sender),
 * only as a device the sending socket announced, with the contract's shape and size bounds, and nothing is stored.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestStack } from '../harness/parley.js';
import { LIMITS } from '../../server/realtime/contract.js';

let stack: TestStack;

before(async () => {
  stack = await TestStack.start();
});
after(async () => {
  await stack?.close();
});

test('omemoRelay: to the other tabs of the account, as an announced device only, bounded; nothing stored', async () => {
  const alice = await stack.loggedIn('relay-a');
  const other = alice.openTab();
  await other.waitFor('hello');
  await alice.tab.command('omemoAnnounce', { deviceId: 5, bundle: null });
  await other.command('omemoAnnounce', { deviceId: 6, bundle: null });

  await alice.tab.command('omemoRelay', { from: 5, to: null, encrypted: null });
  assert.deepEqual(await other.waitFor('omemoRelay', (e) => e.to === null), { from: 5, to: null, encrypted: null });
  const sealed = `<encrypted xmlns="eu.siacs.conversations.axolotl">${'A'.repeat(1000)}</encrypted>`;
  await alice.tab.command('omemoRelay', { from: 5, to: 6, encrypted: sealed });
  assert.deepEqual(await other.waitFor('omemoRelay', (e) => e.to === 6), { from: 5, to: 6, encrypted: sealed });
  // The answer comes back the other way; the sender never gets its own relays.
  await other.command('omemoRelay', { from: 6, to: 5, encrypted: sealed });
  await alice.tab.waitFor('omemoRelay', (e) => e.from === 6);
  assert.equal(alice.tab.events.some((e) => e.name === 'omemoRelay' && (e.payload as { from: number }).from === 5), false);

  const refused = async (payload: unknown, error: RegExp) => {
    const r = await alice.tab.rawCommand('omemoRelay', payload);
    assert.equal(r.ok, false, JSON.stringify(payload).slice(0, 200));
    assert.match(r.error!, error);
  };
  await refused({ from: 6, to: 5, encrypted: sealed }, /has not announced/);
  await refused({ from: 5, to: null, encrypted: sealed }, /a hello goes to every tab without a payload/);
  await refused({ from: 5, to: 6, encrypted: null }, /a hello goes to every tab without a payload/);
  await refused({ from: 5, to: 6, encrypted: 'x'.repeat(LIMITS.encryptedChars + 1) }, /Invalid omemoRelay/);
  await refused({ from: 5, to: 6, encrypted: sealed, note: 'extra' }, /Invalid omemoRelay/);

  const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
  assert.deepEqual(await stack.parley.stores.messages.page(session.accountId, alice.jid, { limit: 10 }), [], 'a relay is not a message');
});
