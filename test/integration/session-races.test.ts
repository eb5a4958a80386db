/**
 * Starting an account's session from two places at once, on real Prosody: a start-up restore and a takeover tick (or
 * a browser's visit) that both found no live session must end with one XMPP connection, counted on Prosody.
 * (Seen in CI on a loaded machine: restoreAll and the takeover loop restored the same account one after the other,
 * and the first session stayed connected, orphaned, beside the second.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { TestProsody } from '../harness/prosody.js';
import { until } from '../harness/poll.js';

let stack: TestStack;
before(async () => {
  stack = await TestStack.start({ prosody: { c2sProbe: true } });
});
after(() => stack?.close());

const liveOnProsody = async (jid: string) => (await (stack.server as TestProsody).c2sSessions()).get(jid) ?? { live: 0, hibernating: 0 };

test('a restore that looked before another restore finished joins that session: one connection on Prosody', async () => {
  const user = await stack.newUser('race');
  assert.equal((await new HttpBrowser(stack.url).login(user.jid, user.password, { remember: 'on' })).status, 303);
  const first = stack.parley.sessions.sessions().find((s) => s.jid === user.jid)!;
  await first.end('idle');
  await until(async () => (await liveOnProsody(user.jid)).live === 0, 'the ended session gone from Prosody', 20_000, 100);

  // The late restore has checked for a live session and now waits on its read of the account; meanwhile another
  // restore runs to the end.
  const accounts = stack.parley.stores.accounts;
  const byId = accounts.byId.bind(accounts);
  let letLateOneRead!: () => void;
  const lateOneMayRead = new Promise<void>((resolve) => (letLateOneRead = resolve));
  let reads = 0;
  accounts.byId = async (id) => {
    if (id === first.accountId && reads++ === 0) await lateOneMayRead;
    return byId(id);
  };
  try {
    const late = stack.parley.sessions.restore(first.accountId);
    const early = await stack.parley.sessions.restore(first.accountId);
    assert.ok(early && !early.isEnded);
    letLateOneRead();
    assert.equal(await late, early, 'the late restore returns the live session');
  } finally {
    accounts.byId = byId;
  }
  assert.deepEqual(await liveOnProsody(user.jid), { live: 1, hibernating: 0 });
  assert.equal(stack.parley.sessions.sessions().filter((s) => s.jid === user.jid).length, 1);
});

test('a password login while the account is being restored checks the password against the server', async () => {
  const user = await stack.newUser('race-login');
  assert.equal((await new HttpBrowser(stack.url).login(user.jid, user.password, { remember: 'on' })).status, 303);
  const session = stack.parley.sessions.sessions().find((s) => s.jid === user.jid)!;
  await session.end('idle');
  const restoring = stack.parley.sessions.restore(session.accountId);
  const wrong = await new HttpBrowser(stack.url).login(user.jid, 'not the password');
  assert.equal(wrong.status, 401);
  assert.ok(await restoring);
  assert.equal((await new HttpBrowser(stack.url).login(user.jid, user.password)).status, 303);
  assert.equal((await liveOnProsody(user.jid)).live, 1);
});
