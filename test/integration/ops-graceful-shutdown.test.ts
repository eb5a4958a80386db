/**
 * SIGTERM (systemd stop, a deploy): the tabs are told the server is restarting, the process exits cleanly and
 * soon, and the next start brings the remembered session back by itself, with what arrived meanwhile.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestProsody } from '../harness/prosody.js';
import { createTestDatabase } from '../harness/postgres.js';
import { freePort } from '../harness/ports.js';
import { ParleyProcess } from '../harness/parley-process.js';
import { HttpBrowser } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';

let prosody: TestProsody;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let parley: ParleyProcess | null = null;
let peer: XmppPeer | null = null;

before(async () => {
  prosody = await TestProsody.start();
  db = await createTestDatabase();
});
after(async () => {
  await peer?.stop();
  await parley?.stop();
  await prosody?.stop();
  await db?.drop();
});

test('SIGTERM tells the tabs, exits 0 within seconds; the next start restores the session and what arrived meanwhile', async () => {
  const port = await freePort();
  const env = {
    DATABASE_URL: db.url,
    PARLEY_SESSION_SECRET: 'graceful-test-secret-graceful-test-0001',
    PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
    PARLEY_XMPP_REQUIRE_TLS: 'false',
  };
  parley = await ParleyProcess.start(env, port);
  const alice = { jid: await prosody.createUser('graceful', 'pw-a'), password: 'pw-a' };
  const bobJid = await prosody.createUser('gracefulpeer', 'pw-b');
  peer = await XmppPeer.login(prosody, bobJid, 'pw-b');

  const browser = new HttpBrowser(parley.url);
  assert.equal((await browser.login(alice.jid, alice.password, { remember: 'on' })).status, 303);
  const tab = browser.tab();
  await tab.waitFor('hello');
  await peer.sendChat(alice.jid, 'before the restart');
  await tab.waitFor('message', (e) => e.message.body === 'before the restart');

  const told = tab.waitFor('connection', (e) => e.state === 'offline', 10_000);
  const end = await parley.terminate();
  assert.deepEqual(await told, { state: 'offline', detail: 'server restarting' });
  assert.equal(end.code, 0, `exit ${end.code} / ${end.signal}: ${parley.output.slice(-2000)}`);
  assert.ok(end.ms < 10_000, `shutdown took ${end.ms} ms`);
  // The XMPP session really ended (clean </stream>), nothing lingers on the server.
  assert.equal(await prosody.c2sSessionCount(alice.jid), 0);

  await peer.sendChat(alice.jid, 'while Parley was down');
  parley = await ParleyProcess.start(env, port);

  // No login: the remembered browser's socket gets its session back, and the archive filled the gap.
  let bodies: string[] = [];
  let stamps: string[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const again = browser.tab();
    try {
      const hello = await again.waitFor('hello', () => true, 10_000);
      assert.equal(hello.connection, 'online');
      const history = await again.command('history', { peer: bobJid, limit: 10 });
      bodies = history.messages.map((m) => m.body ?? '').reverse();
      stamps = history.messages.map((m) => `${m.body} @ ${m.stamp} #${m.id} ${m.stanzaId}`).reverse();
    } finally {
      again.close();
    }
    if (bodies.includes('while Parley was down')) break;
    await sleep(500);
  }
  assert.deepEqual(bodies, ['before the restart', 'while Parley was down'], stamps.join('\n'));
  assert.equal(await prosody.c2sSessionCount(alice.jid), 1, 'one XMPP session again');
});
