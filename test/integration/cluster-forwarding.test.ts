/**
 * Two real Parley processes + one Redis: a tab on the node that does not own its account's session works through the
 * owner (hello, commands, visibility), a login on the other node is forwarded to the owner (one XMPP connection), and
 * with Redis gone the tab is told in words that Parley is partly unavailable, then works again when Redis is back.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TestCluster } from '../harness/cluster.js';
import { until } from '../harness/poll.js';

let cluster: TestCluster;
before(async () => {
  cluster = await TestCluster.start({ nodes: 2, env: { PARLEY_ADMINS: `clusteradmin@localhost` } });
});
after(async () => {
  await cluster?.close();
});

const leaseHolder = async (jid: string): Promise<string | null> => {
  const client = new pg.Client({ connectionString: cluster.db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ node: string }>(`SELECT node FROM "SessionLease" WHERE jid = $1 AND "expiresAt" > now()`, [jid]);
    return rows[0]?.node ?? null;
  } finally {
    await client.end();
  }
};

test('a tab on the other node reaches the owner; a login there is forwarded; Redis gone is said in words', async () => {
  const alice = await cluster.newUser('alice');
  const bob = await cluster.newUser('bob');
  const aliceBrowser = cluster.browser(0);
  assert.equal((await aliceBrowser.login(alice.jid, alice.password, { remember: 'on' })).status, 303);
  const bobBrowser = cluster.browser(1);
  assert.equal((await bobBrowser.login(bob.jid, bob.password, { remember: 'on' })).status, 303);
  assert.equal(await leaseHolder(alice.jid), 'node-0');
  assert.equal(await leaseHolder(bob.jid), 'node-1');

  const stay = (from: number) => from;
  // Alice's only tab is on node 1, which does not own her session.
  const aliceRemote = cluster.tab(aliceBrowser, 1, stay);
  const hello = await aliceRemote.current.waitFor('hello');
  assert.equal(hello.account, alice.jid);
  const bobTab = cluster.tab(bobBrowser, 1, stay);
  await bobTab.current.waitFor('hello');

  // A command through the owner: stored and sent by node 0, seen by Bob's tab.
  const originId = randomUUID();
  const sent = await aliceRemote.current.command('send', { to: bob.jid, body: 'through the owner', originId });
  assert.equal(sent.message.originId, originId);
  await bobTab.current.waitFor('message', (e) => e.message.body === 'through the owner');
  // The owner's own emits reach the remote tab too (through the adapter).
  await aliceRemote.current.waitFor('message', (e) => e.message.originId === originId && e.message.state === 'sent');

  // The owner counts the remote tab and follows its visibility: hidden -> CSI inactive on Prosody.
  await until(async () => (await cluster.prosody.csiStates(alice.jid)).includes('active'), 'alice active while her remote tab is visible');
  await aliceRemote.current.command('visibility', { visible: false });
  await until(async () => (await cluster.prosody.csiStates(alice.jid)).includes('inactive'), 'alice inactive once her only (remote) tab is hidden');
  await aliceRemote.current.command('visibility', { visible: true });
  await until(async () => (await cluster.prosody.csiStates(alice.jid)).includes('active'), 'alice active again');

  // A second browser logs in on node 1: the owner checks the password; still one XMPP connection.
  const second = cluster.browser(1);
  assert.equal((await second.login(alice.jid, alice.password)).status, 303);
  assert.equal((await cluster.browser(1).login(alice.jid, 'wrong-password')).status, 401);
  assert.equal((await cluster.prosody.c2sConnections()).get(alice.jid)?.live, 1);
  assert.equal(await leaseHolder(alice.jid), 'node-0');
  // Its app page renders on node 1 (the session lives on node 0).
  const page = await second.request('/');
  assert.equal(page.status, 200);

  // The admin panel of node 1: this node, the nodes alive, Redis.
  await cluster.prosody.createUser('clusteradmin', 'admin-password');
  const admin = cluster.browser(1);
  assert.equal((await admin.login('clusteradmin@localhost', 'admin-password')).status, 303);
  const panel = async () => (await admin.request('/admin')).text();
  const healthy = await panel();
  assert.match(healthy, /data-testid="admin-cluster-node">This node: node-1</);
  assert.match(healthy, /data-testid="admin-cluster-nodes">2 nodes alive/);
  assert.match(healthy, /data-testid="admin-cluster-redis">Redis: reachable</);

  // Redis gone: the remote tab's command fails with words, nothing hangs.
  await cluster.redis.kill();
  const refused = await aliceRemote.current.rawCommand('send', { to: bob.jid, body: 'while redis is away', originId: randomUUID() });
  assert.equal(refused.ok, false);
  assert.match(refused.error ?? '', /Parley is partly unavailable/);
  await until(async () => /Redis: unreachable/.test(await panel()), 'the admin panel says Redis is unreachable');
  // Back: the same tab works again without a reload (the tab's outbox retries with the same originId).
  await cluster.redis.launch();
  const retryId = randomUUID();
  await until(async () => (await aliceRemote.current.rawCommand('send', { to: bob.jid, body: 'after redis came back', originId: retryId })).ok, 'a command through the owner once Redis is back', 15_000, 250);
  await bobTab.current.waitFor('message', (e) => e.message.body === 'after redis came back', 15_000);
});
