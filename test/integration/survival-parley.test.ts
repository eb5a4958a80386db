/**
 * Survival 2: the Parley server is SIGKILLed while 50 accounts are logged in ("keep me signed in") and
 * messages keep arriving. After the restart the sessions come back without a login, and the archive fills
 * the gap: every message is stored exactly once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { TestProsody } from '../harness/prosody.js';
import { createTestDatabase } from '../harness/postgres.js';
import { freePort } from '../harness/ports.js';
import { ParleyProcess } from '../harness/parley-process.js';
import { HttpBrowser } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';

let prosody: TestProsody;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let parley: ParleyProcess | null = null;
const peers: XmppPeer[] = [];

before(async () => {
  prosody = await TestProsody.start();
  db = await createTestDatabase();
});
after(async () => {
  for (const p of peers) await p.stop();
  await parley?.stop();
  await prosody?.stop();
  await db?.drop();
});

test('a killed Parley restores 50 sessions by itself and loses or duplicates nothing', async () => {
  const port = await freePort();
  const env = {
    DATABASE_URL: db.url,
    PARLEY_SESSION_SECRET: 'crash-test-secret-crash-test-secret-0001',
    PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
    PARLEY_XMPP_REQUIRE_TLS: 'false',
    PARLEY_LOGIN_ATTEMPTS: '10000',
  };
  parley = await ParleyProcess.start(env, port);
  const accounts = await Promise.all(Array.from({ length: 50 }, (_, i) => prosody.createUser(`crash${i}`, `pw${i}`).then((jid) => ({ jid, password: `pw${i}` }))));
  const browsers = await Promise.all(
    accounts.map(async (a) => {
      const b = new HttpBrowser(parley!.url);
      const res = await b.login(a.jid, a.password, { remember: 'on' });
      assert.equal(res.status, 303, res.html);
      return b;
    }),
  );
  for (let i = 0; i < 5; i++) {
    const jid = await prosody.createUser(`sender${i}`, 'pw');
    peers.push(await XmppPeer.login(prosody, jid, 'pw'));
  }

  // 20 rounds: each sender writes to 10 accounts per round; Parley dies in round 7 and comes back in round 12.
  const rounds = 20;
  for (let r = 0; r < rounds; r++) {
    await Promise.all(peers.map((p, s) => Promise.all(accounts.slice(s * 10, s * 10 + 10).map((a) => p.sendChat(a.jid, `round ${r} from ${s}`)))));
    if (r === 7) await parley.kill();
    if (r === 12) parley = await ParleyProcess.start(env, port);
    await sleep(100);
  }

  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const deadline = Date.now() + 120_000;
    let counts: { jid: string; n: number; distinct: number }[] = [];
    while (Date.now() < deadline) {
      const res = await pool.query<{ jid: string; n: string; distinct: string }>(
        `SELECT a.jid, count(m.*) AS n, count(DISTINCT m.body) AS distinct FROM "Account" a LEFT JOIN "Message" m ON m."accountId" = a.id AND m.direction = 'in' GROUP BY a.jid`,
      );
      counts = res.rows.map((r) => ({ jid: r.jid, n: Number(r.n), distinct: Number(r.distinct) }));
      if (counts.length === 50 && counts.every((c) => c.distinct === rounds)) break;
      await sleep(1000);
    }
    assert.equal(counts.length, 50);
    if (counts.some((c) => c.distinct !== rounds)) {
      const missing = await pool.query(`SELECT a.jid, array_agg(m.body ORDER BY m.id) AS bodies FROM "Account" a LEFT JOIN "Message" m ON m."accountId" = a.id AND m.direction = 'in' GROUP BY a.jid HAVING count(DISTINCT m.body) < ${rounds}`);
      console.log('PARLEY OUTPUT', parley.output.slice(-5000), JSON.stringify(missing.rows).slice(0, 3000));
    }
    for (const c of counts) {
      assert.equal(c.distinct, rounds, `${c.jid}: ${c.distinct} of ${rounds} messages`);
      assert.equal(c.n, rounds, `${c.jid}: ${c.n} rows, duplicates stored`);
    }
  } finally {
    await pool.end();
  }

  // Nobody logged in again, yet every browser is back in a live session.
  for (const b of browsers.slice(0, 5)) {
    const tab = b.tab();
    const hello = await tab.waitFor('hello', () => true, 20_000);
    assert.equal(hello.connection, 'online');
    tab.close();
  }
});
