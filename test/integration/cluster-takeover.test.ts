/**
 * Three real Parley processes behind one URL (one Prosody, one PostgreSQL, one Redis). Accounts signed in with "keep
 * me signed in" have tabs on every node; tabs send to each other and outside XMPP clients send to them. Mid-
 * conversation the node that owns the busiest accounts is SIGKILLed. Proven:
 *  (a) nothing lost, nothing twice: one row per message and side (by origin-id / body), and the tabs of each account
 *      saw every message under one row id;
 *  (b) at most one XMPP connection per account at every sampled moment, counted on Prosody (its own session tables,
 *      served by the harness's c2s probe module, sampled back to back, and checked against the admin shell's
 *      `c2s show`): sessions with a live connection count; XEP-0198 sessions left hibernating by the killed node have
 *      no connection and can send nothing, so they are counted apart, and seen, which shows the sampler looked at the
 *      right moment;
 *  (c) the takeover (kill -> every busy account owned by a survivor and connected again) took < 10 s;
 *  (d) tabs of the killed node reconnect to another node and keep working without a reload; tabs on the survivors
 *      keep working throughout (commands of accounts the killed node did not own never fail).
 * An account without sealed credentials cannot be taken over: its tabs are sent to the login page ('session-ended').
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TestCluster, type RoamingTab } from '../harness/cluster.js';
import { RawXmpp, escapeXml } from '../harness/xmpp-raw.js';
import { until } from '../harness/poll.js';
import type { MessageDTO } from '../../server/realtime/contract.js';

const NODES = 3;
const KILLED = 0;

let cluster: TestCluster;
let sql: pg.Pool;
before(async () => {
  cluster = await TestCluster.start({ nodes: NODES });
  sql = new pg.Pool({ connectionString: cluster.db.url, max: 3 });
});
after(async () => {
  await sql?.end();
  await cluster?.close();
});

interface Account {
  jid: string;
  password: string;
  /** one tab per node, tab i on node i */
  tabs: RoamingTab[];
  /** owned by the node that will be killed */
  busy: boolean;
}

/** The balancer: the next node that is still alive. */
const next = (from: number) => {
  for (let step = 1; step <= NODES; step++) {
    const to = (from + step) % NODES;
    if (cluster.alive(to)) return to;
  }
  return from;
};

const holder = async (jid: string) =>
  (await sql.query<{ node: string }>(`SELECT node FROM "SessionLease" WHERE jid = $1 AND "expiresAt" > now()`, [jid])).rows[0]?.node ?? null;

test('SIGKILL of the node owning the busiest accounts mid-conversation: nothing lost or doubled, one connection per account, takeover < 10 s, tabs move on', async () => {
  // ---- accounts: three busy ones owned by node 0 (they log in there), one owned by each other node
  const accounts: Account[] = [];
  const signIn = async (prefix: string, node: number, remember: boolean) => {
    const user = await cluster.newUser(prefix);
    const browser = cluster.browser(node);
    const res = await browser.login(user.jid, user.password, remember ? { remember: 'on' } : {});
    assert.equal(res.status, 303, `login of ${user.jid} on node ${node}`);
    const tabs = Array.from({ length: NODES }, (_, i) => cluster.tab(browser, i, next));
    return { ...user, tabs };
  };
  for (let i = 0; i < 3; i++) accounts.push({ ...(await signIn('busy', KILLED, true)), busy: true });
  for (let n = 1; n < NODES; n++) accounts.push({ ...(await signIn('calm', n, true)), busy: false });
  // Signed in without "keep me signed in": nobody can bring its session back.
  const forgetful = await signIn('forgetful', KILLED, false);
  for (const a of [...accounts, forgetful]) for (const tab of a.tabs) await tab.current.waitFor('hello', () => true, 20_000);
  for (const a of accounts) assert.equal(await holder(a.jid), a.busy ? `node-${KILLED}` : `node-${accounts.indexOf(a) - 2}`);

  // ---- Prosody's view, sampled throughout
  const maxLive = new Map<string, number>();
  const sawHibernating = new Set<string>();
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const counts = await cluster.prosody.c2sSessions();
      samples++;
      for (const a of [...accounts, forgetful]) {
        const c = counts.get(a.jid);
        maxLive.set(a.jid, Math.max(maxLive.get(a.jid) ?? 0, c?.live ?? 0));
        if (c?.hibernating) sawHibernating.add(a.jid);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();

  // ---- conversations: tabs to other accounts, outside clients to the accounts
  const outsiders = await Promise.all(
    [0, 1].map(async (i) => {
      const u = await cluster.newUser(`outsider${i}`);
      return RawXmpp.login({ host: '127.0.0.1', port: cluster.prosody.c2sPort, jid: u.jid, password: u.password });
    }),
  );
  const tabSends: { from: Account; to: Account; body: string; originId: string; tab: RoamingTab; failures: number }[] = [];
  const outsideSends: { to: Account; body: string; at: number }[] = [];
  let talking = true;
  let killedAt = 0;

  /** As the app's outbox: the same originId again until Parley accepts it. */
  const send = async (from: Account, tab: RoamingTab, to: Account, body: string) => {
    const record = { from, to, body, originId: randomUUID(), tab, failures: 0 };
    tabSends.push(record);
    const deadline = Date.now() + 40_000;
    for (;;) {
      // 6 s per try (the app waits 15 s): a command forwarded at the moment of the kill waits for the killed node's
      // answer until the adapter's request timeout (3 s), then takes the owner's; only then may a try count as failed.
      const r = await tab.current.rawCommand('send', { to: to.jid, body, originId: record.originId }, 6000).catch((err: Error) => ({ ok: false, error: err.message }));
      if (r.ok) return record;
      record.failures++;
      if (Date.now() > deadline) throw new Error(`send "${body}" from ${from.jid} never accepted: ${r.error}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  };
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  let seq = 0;
  const talkers = [0, 1, 2].map(async () => {
    while (talking) {
      // The busy accounts talk most.
      const from = Math.random() < 0.7 ? pick(accounts.filter((a) => a.busy)) : pick(accounts);
      const to = pick(accounts.filter((a) => a !== from));
      await send(from, pick(from.tabs), to, `tab message ${++seq}`);
      await new Promise((r) => setTimeout(r, 30));
    }
  });
  const outside = (async () => {
    let k = 0;
    while (talking) {
      const to = pick(accounts);
      const body = `outside message ${++k}`;
      pick(outsiders).send(`<message to='${escapeXml(to.jid)}' type='chat' id='${randomUUID()}'><body>${body}</body><origin-id xmlns='urn:xmpp:sid:0' id='${randomUUID()}'/></message>`);
      outsideSends.push({ to, body, at: Date.now() });
      await new Promise((r) => setTimeout(r, 60));
    }
  })();

  // ---- mid-conversation: SIGKILL the owner of the busy accounts
  await until(async () => tabSends.length >= 40 && outsideSends.length >= 20, 'some conversation before the kill', 30_000);
  killedAt = Date.now();
  await cluster.killNode(KILLED);
  const busy = accounts.filter((a) => a.busy);
  await until(
    async () => {
      const counts = await cluster.prosody.c2sSessions();
      for (const a of busy) {
        const h = await holder(a.jid);
        if (!h || h === `node-${KILLED}` || counts.get(a.jid)?.live !== 1) return false;
      }
      return true;
    },
    'every busy account owned by a surviving node and connected again',
    20_000,
    50,
  );
  const takeoverMs = Date.now() - killedAt;
  // The probe counts as Prosody's admin shell does.
  const [probe, shell] = [await cluster.prosody.c2sSessions(), await cluster.prosody.c2sConnections()];
  for (const a of busy) assert.deepEqual(probe.get(a.jid), shell.get(a.jid), `probe and c2s show agree on ${a.jid}`);
  // Keep talking a while on the new owners.
  const sentAtTakeover = tabSends.length;
  await until(async () => tabSends.length >= sentAtTakeover + 30, 'conversation after the takeover', 30_000);
  talking = false;
  await Promise.all([...talkers, outside]);

  // (d) every tab of the killed node moved to a survivor, got a hello there and sends again, without a reload.
  for (const a of accounts) {
    const moved = a.tabs[KILLED]!;
    assert.ok(moved.moves.length >= 1 && moved.node !== KILLED, `${a.jid}'s tab left the killed node`);
    assert.ok(moved.hellos().some((h) => h.node !== KILLED), `${a.jid}'s moved tab got a hello on node ${moved.node}`);
    for (const tab of a.tabs) await send(a, tab, pick(accounts.filter((b) => b !== a)), `after the takeover from node ${tab.node} ${randomUUID().slice(0, 8)}`);
  }
  // Tabs on the survivors of accounts the killed node did not own never saw a failed command.
  for (const r of tabSends) if (!r.from.busy && r.tab !== r.from.tabs[KILLED]) assert.equal(r.failures, 0, `"${r.body}" from a survivor's tab of ${r.from.jid} failed ${r.failures} times`);

  // (a) one row per message and side, in the database
  const originIds = tabSends.map((r) => r.originId);
  const rowsOf = async () =>
    (
      await sql.query<{ originId: string; jid: string; direction: string; n: string }>(
        `SELECT m."originId", a.jid, m.direction, count(*) AS n FROM "Message" m JOIN "Account" a ON a.id = m."accountId"
         WHERE m."originId" = ANY($1) GROUP BY 1, 2, 3`,
        [originIds],
      )
    ).rows;
  await until(async () => (await rowsOf()).length >= 2 * tabSends.length, 'both sides of every tab message stored', 30_000, 250);
  const rows = await rowsOf();
  assert.equal(rows.length, 2 * tabSends.length, 'exactly the sender\'s and the recipient\'s row, nothing else');
  for (const r of tabSends) {
    assert.deepEqual(rows.filter((x) => x.originId === r.originId && x.jid === r.from.jid && x.direction === 'out').map((x) => x.n), ['1'], `sent once: ${r.body}`);
    assert.deepEqual(rows.filter((x) => x.originId === r.originId && x.jid === r.to.jid && x.direction === 'in').map((x) => x.n), ['1'], `received once: ${r.body}`);
  }
  const outsideRows = async () =>
    (
      await sql.query<{ body: string; jid: string; n: string }>(
        `SELECT m.body, a.jid, count(*) AS n FROM "Message" m JOIN "Account" a ON a.id = m."accountId"
         WHERE m.body = ANY($1) AND m.direction = 'in' GROUP BY 1, 2`,
        [outsideSends.map((o) => o.body)],
      )
    ).rows;
  await until(async () => (await outsideRows()).length >= outsideSends.length, 'every outside message stored', 30_000, 250);
  for (const o of outsideSends) {
    assert.deepEqual((await outsideRows()).filter((x) => x.body === o.body).map((x) => [x.jid, x.n]), [[o.to.jid, '1']], `stored once: ${o.body}`);
  }

  // (a) what the tabs saw: live 'message' events, plus the newest page of each conversation that a tab reloads after a
  // hello (as the app does: a message the killed node stored but had not yet emitted reaches the tabs that way).
  // Every message of the account is there, always as the same row.
  const peersOf = (a: Account) => [...accounts.filter((b) => b !== a).map((b) => b.jid), ...outsiders.map((o) => o.jid.split('/')[0]!)];
  let onlyFromHistory = 0;
  for (const a of accounts) {
    const expected = [...tabSends.filter((r) => r.from === a || r.to === a).map((r) => r.body), ...outsideSends.filter((o) => o.to === a).map((o) => o.body)];
    const live = new Map<string, Set<string>>();
    const note = (into: Map<string, Set<string>>, m: MessageDTO) => m.body && (into.get(m.body) ?? into.set(m.body, new Set()).get(m.body)!).add(m.id);
    for (const tab of a.tabs) for (const e of tab.events) if (e.name === 'message') note(live, (e.payload as { message: MessageDTO }).message);
    const view = new Map([...live].map(([b, ids]) => [b, new Set(ids)]));
    for (const peer of peersOf(a)) {
      const page = await a.tabs[1]!.current.command('history', { peer, limit: 100 });
      assert.equal(page.hasMore, false, `one page holds the conversation of ${a.jid} with ${peer}`);
      for (const m of page.messages) note(view, m);
    }
    const missing = expected.filter((b) => !view.has(b));
    assert.deepEqual(missing, [], `${a.jid}'s tabs have every message (sent around the kill: ${missing.map((b) => `${b} at ${(outsideSends.find((o) => o.body === b)?.at ?? 0) - killedAt} ms`).join(', ')})`);
    for (const b of expected) assert.equal(view.get(b)!.size, 1, `${a.jid}'s tabs saw "${b}" as one row`);
    onlyFromHistory += expected.filter((b) => !live.has(b)).length;
  }

  // The account without sealed credentials: its tabs on the survivors were sent to the login page.
  for (const tab of forgetful.tabs) await until(async () => tab.loggedOut || undefined, 'the forgetful account\'s tabs logged out', 20_000);
  assert.ok(forgetful.tabs.some((t) => t.events.some((e) => e.name === 'logout' && (e.payload as { reason: string }).reason === 'session-ended')));

  sampling = false;
  await sampler;
  for (const o of outsiders) await o.close();

  // (b) counted on Prosody, throughout
  assert.ok(samples >= 200, `Prosody sampled ${samples} times`);
  for (const a of accounts) assert.equal(maxLive.get(a.jid), 1, `${a.jid}: at most one live XMPP connection at every sample (max ${maxLive.get(a.jid)})`);
  for (const a of busy) assert.ok(sawHibernating.has(a.jid), `${a.jid}: the killed node's session was seen hibernating beside the new one`);
  // (c)
  assert.ok(takeoverMs < 10_000, `takeover took ${takeoverMs} ms`);
  process.stderr.write(
    `[cluster-takeover] takeover ${takeoverMs} ms; ${tabSends.length} tab messages (${tabSends.filter((r) => r.failures > 0).length} retried), ` +
      `${outsideSends.length} outside messages (${onlyFromHistory} reached the tabs only by the history reload after a hello); ${samples} Prosody samples\n`,
  );
});
