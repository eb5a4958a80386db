/** ElementInbox's failure races: a step that finished keeps nothing registered; a failure rejects what still waits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElementInbox } from '../../server/xmpp/element-inbox.js';

const waiters = (inbox: ElementInbox) => (inbox as unknown as { failedWaiters: Set<unknown> }).failedWaiters.size;

test('1,000 negotiation steps (named) raced against the stream on a live connection leave no waiter behind', async () => {
  const inbox = new ElementInbox();
  for (let i = 0; i < 1000; i++) assert.equal(await inbox.race(Promise.resolve(i)), i);
  await assert.rejects(inbox.race(Promise.reject(new Error('step failed'))), /step failed/);
  const off = inbox.onFailure(() => assert.fail('called after off()'));
  off();
  assert.equal(waiters(inbox), 0);
  inbox.fail(new Error('closed'));
});

test('a stream failure rejects the steps still waiting, and later ones at once', async () => {
  const inbox = new ElementInbox();
  const pending = inbox.race(new Promise(() => undefined));
  let told: Error | null = null;
  inbox.onFailure((err) => (told = err));
  inbox.fail(new Error('connection closed'));
  await assert.rejects(pending, /connection closed/);
  assert.equal((told as Error | null)?.message, 'connection closed');
  await assert.rejects(inbox.race(new Promise(() => undefined)), /connection closed/);
  const late = await new Promise<Error>((resolve) => inbox.onFailure(resolve));
  assert.equal(late.message, 'connection closed');
  assert.equal(waiters(inbox), 0);
});
