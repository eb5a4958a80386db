/**
 * History figures (issue "History without gaps"): archive catch-up of 10,000 messages at login, and sustained
 * incoming messages per second stored and fanned out with 100 logged-in accounts (Parley in its own process).
 */
import { xml } from '@xmpp/xml';
import pg from 'pg';
import { TestProsody } from '../test/harness/prosody.js';
import { createTestDatabase } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { HttpBrowser, type TestTab } from '../test/harness/parley.js';
import { ParleyProcess } from '../test/harness/parley-process.js';
import { XmppPeer } from '../test/harness/xmpp-peer.js';

async function stackEnv(prosody: TestProsody, dbUrl: string) {
  return {
    DATABASE_URL: dbUrl,
    PARLEY_SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-02',
    PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
    PARLEY_XMPP_REQUIRE_TLS: 'false',
    PARLEY_LOGIN_ATTEMPTS: '10000',
  };
}

/** Sends `count` chat messages without waiting for each ack (a burst, as a busy contact or a bot would). */
async function burst(from: XmppPeer, to: string[], count: number, tag: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    void from.conn.send(xml('message', { to: to[i % to.length]!, type: 'chat', id: `${tag}-${i}` }, xml('body', {}, `${tag} ${i}`)));
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  await from.conn.sendAcked(xml('iq', { type: 'get', to: from.conn.bareJid.split('@')[1] }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

export async function benchSync(report: (line: string) => void): Promise<void> {
  const prosody = await TestProsody.start();
  const db = await createTestDatabase();
  const parley = await ParleyProcess.start(await stackEnv(prosody, db.url), await freePort());
  const peers: XmppPeer[] = [];
  const tabs: TestTab[] = [];
  try {
    // 1. Catch-up: 10,000 messages reached Alice's phone while Parley never saw her; her first login pages the archive.
    const alice = await prosody.createUser('catchup', 'pw');
    const bob = await prosody.createUser('writer', 'pw');
    const phone = await XmppPeer.login(prosody, alice, 'pw', 'phone');
    const writer = await XmppPeer.login(prosody, bob, 'pw');
    peers.push(phone, writer);
    await burst(writer, [alice], 10_000, 'mam');
    await phone.waitForMessage((el) => el.attrs.id === 'mam-9999', 120_000);
    await phone.stop();
    const t0 = performance.now();
    const res = await new HttpBrowser(parley.url).login(alice, 'pw');
    if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
    const loginMs = performance.now() - t0;
    // The login does not wait for the archive: count the stored rows until all are there.
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    let stored = 0;
    try {
      const deadline = Date.now() + 180_000;
      while (stored < 10_000 && Date.now() < deadline) {
        const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "Message" m JOIN "Account" a ON a.id = m."accountId" WHERE a.jid = $1`, [alice]);
        stored = Number(rows[0]!.n);
        if (stored < 10_000) await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await pool.end();
    }
    const catchUpMs = performance.now() - t0;
    report(
      `archive catch-up at first login, 10,000 messages (pages of 250, stored once each): ${stored} stored ${(catchUpMs / 1000).toFixed(2)} s after the login form was sent ` +
        `(${Math.round(stored / (catchUpMs / 1000))} msg/s); the login itself answered in ${Math.round(loginMs)} ms`,
    );

    // 2. Sustained incoming: 100 accounts with one tab each; 10 senders write to them as fast as Prosody takes it.
    const accounts = await Promise.all(Array.from({ length: 100 }, (_, i) => prosody.createUser(`load${i}`, 'pw')));
    let received = 0;
    for (let i = 0; i < accounts.length; i += 10) {
      await Promise.all(
        accounts.slice(i, i + 10).map(async (jid) => {
          const browser = new HttpBrowser(parley.url);
          if ((await browser.login(jid, 'pw')).status !== 303) throw new Error(`login of ${jid} failed`);
          const tab = browser.tab();
          tabs.push(tab);
          await tab.waitFor('hello');
          tab.socket.on('message', (e) => e.message.direction === 'in' && received++);
        }),
      );
    }
    const senders = await Promise.all(Array.from({ length: 10 }, async (_, i) => XmppPeer.login(prosody, await prosody.createUser(`sender${i}`, 'pw'), 'pw')));
    peers.push(...senders);
    const total = 20_000;
    const start = performance.now();
    await Promise.all(senders.map((s, i) => burst(s, accounts, total / senders.length, `load${i}`)));
    const sentMs = performance.now() - start;
    const deadline = Date.now() + 300_000;
    while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const doneMs = performance.now() - start;
    report(
      `sustained incoming with 100 logged-in accounts (one tab each): ${total} messages offered in ${(sentMs / 1000).toFixed(1)} s, ` +
        `${received} stored + delivered to tabs in ${(doneMs / 1000).toFixed(1)} s = ${Math.round(received / (doneMs / 1000))} msg/s`,
    );
  } finally {
    for (const t of tabs) t.close();
    for (const p of peers) await p.stop().catch(() => undefined);
    await parley.stop();
    await prosody.stop();
    await db.drop();
  }
}
