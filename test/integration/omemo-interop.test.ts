/**
 * OMEMO across the real stack: Alice in Parley with two tabs (two OmemoService instances in Node over real socket.io
 * tabs; one browser profile = one fake-indexeddb name + one in-memory lock manager), Bob on another client
 * (OmemoPeer: libsignal-client + its own XMPP connection), a real Prosody and a real PostgreSQL in between.
 */
import 'fake-indexeddb/auto';
import { after, before, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { OmemoPeer, FALLBACK } from '../harness/omemo-peer.js';
import { OmemoService, type CommandFn } from '../../client/omemo/service.js';
import { MemoryLocks, MemoryStorage } from '../../client/omemo/pool.js';
import { parseEncrypted, parseXml } from '../../client/omemo/codec.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  let alice: { jid: string; password: string };
  let bob: OmemoPeer;
  const tabs: TestTab[] = [];
  const services: OmemoService[] = [];
  let tab1: TestTab;
  let tab2: TestTab;
  let svc1: OmemoService;
  let svc2: OmemoService;
  /** Every plaintext used in this file: none may reach the database. */
  const secrets: string[] = [];
  const secret = (s: string) => (secrets.push(s), s);

  async function openTab(browser: HttpBrowser): Promise<TestTab> {
    const tab = browser.tab();
    tabs.push(tab);
    await tab.waitFor('hello');
    return tab;
  }

  async function startService(tab: TestTab, account: string, profile: { dbName: string; locks: MemoryLocks }): Promise<OmemoService> {
    const command: CommandFn = (name, payload) => tab.command(name, payload);
    const svc = await OmemoService.start({ account, command, locks: profile.locks, storage: new MemoryStorage(), dbName: profile.dbName });
    tab.socket.on('omemoDevices', (e) => svc.handleDevicesEvent(e));
    services.push(svc);
    return svc;
  }

  const fromBob = (tab: TestTab, originId: string) =>
    tab.waitFor('message', (e) => e.message.direction === 'in' && e.message.originId === originId && e.message.encrypted !== null).then((e) => e.message);

  before(async () => {
    stack = await TestStack.start({ server: kind });
    alice = await stack.newUser('alice');
    const bobUser = await stack.newUser('bob');
    const browser = new HttpBrowser(stack.url);
    assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
    tab1 = await openTab(browser);
    tab2 = await openTab(browser);
    const profile = { dbName: `omemo-interop-${kind}-${process.pid}`, locks: new MemoryLocks() };
    const t0 = performance.now();
    svc1 = await startService(tab1, alice.jid, profile);
    const t1 = performance.now();
    svc2 = await startService(tab2, alice.jid, profile);
    console.log(`# OmemoService.start (new device, 100 prekeys, announce over the real stack): ${(t1 - t0).toFixed(0)} ms, second tab ${(performance.now() - t1).toFixed(0)} ms`);
    bob = await OmemoPeer.start(stack.server, bobUser.jid, bobUser.password);
  });

  after(async () => {
    services.forEach((s) => s.close());
    tabs.forEach((t) => t.close());
    await bob?.stop().catch(() => undefined);
    await stack?.close();
  });

  test('both tabs are distinct devices in the account list published in PEP (as another client sees it)', async () => {
    assert.notEqual(svc1.deviceId, svc2.deviceId);
    const list = await bob.devices(alice.jid);
    assert.deepEqual([...list].sort(), [svc1.deviceId, svc2.deviceId].sort());
    const b = await bob.bundle(alice.jid, svc1.deviceId);
    assert.ok(b && b.preKeys.length >= 20 && b.identityKey.length === 33);
    assert.equal(await svc1.isAvailable(bob.jid), true);
  });

  test('Bob -> Alice: the first message (PreKey) and follow-ups decrypt in both tabs', async () => {
    const text = secret(`hello Alice ${randomUUID()}`);
    const id = await bob.sendEncrypted(alice.jid, text);
    const [m1, m2] = await Promise.all([fromBob(tab1, id), fromBob(tab2, id)]);
    assert.equal(m1.id, m2.id);
    assert.equal(parseEncrypted(parseXml(m1.encrypted!)).keys.find((k) => k.rid === svc1.deviceId)?.prekey, true);
    const r1 = await svc1.decryptMessage(m1);
    const r2 = await svc2.decryptMessage(m2);
    assert.equal(r1.status === 'ok' && r1.text, text);
    assert.equal(r2.status === 'ok' && r2.text, text);
    assert.equal(r1.status === 'ok' && r1.senderDeviceId, bob.deviceId);

    const follow = secret(`and again ${randomUUID()}`);
    const id2 = await bob.sendEncrypted(alice.jid, follow);
    const f1 = await fromBob(tab1, id2);
    const t = performance.now();
    const d1 = await svc1.decryptMessage(f1);
    console.log(`# decrypt of an established-session message in a tab: ${(performance.now() - t).toFixed(1)} ms`);
    assert.equal(d1.status === 'ok' && d1.text, follow);
    assert.equal((await svc2.decryptMessage(await fromBob(tab2, id2))).status, 'ok');
    // Replaying the history entry (a reload, another render) reads the cache instead of failing as a duplicate.
    const again = await svc1.decryptMessage(f1);
    assert.equal(again.status === 'ok' && again.fromCache, true);
  });

  test("Alice tab 1 -> Bob: Bob decrypts, tab 2 decrypts its own-device copy, tab 1 shows its own text; replies both ways", async () => {
    for (let round = 0; round < 3; round++) {
      const text = secret(`from tab 1, round ${round} ${randomUUID()}`);
      const originId = randomUUID();
      const t = performance.now();
      const enc = await svc1.encryptFor(bob.jid, text, { originId });
      const encryptMs = performance.now() - t;
      assert.deepEqual(enc.perDevice.filter((p) => p.ok).map((p) => p.deviceId).sort(), [bob.deviceId, svc2.deviceId].sort());
      const sent = await tab1.command('send', { to: bob.jid, encrypted: enc.encrypted, originId });
      await svc1.bindSent(originId, sent.message.id);
      console.log(`# round ${round}: encryptFor (2 devices, lists+bundles over the socket) ${encryptMs.toFixed(1)} ms`);

      const atBob = await bob.waitForDecrypted((m) => m.text === text);
      assert.equal(atBob.from, alice.jid);
      assert.equal(atBob.senderDeviceId, svc1.deviceId);
      assert.equal(atBob.stanza.getChild('body')?.getText(), sent.message.body, 'Bob sees the fallback body next to <encrypted>');
      assert.ok(atBob.stanza.getChild('encryption', 'urn:xmpp:eme:0'), 'EME names OMEMO');

      const copy = await tab2.waitFor('message', (e) => e.message.originId === originId).then((e) => e.message);
      const c = await svc2.decryptMessage(copy);
      assert.equal(c.status === 'ok' && c.text, text);
      const own = await svc1.decryptMessage(sent.message);
      assert.deepEqual(own, { status: 'ok', text, trust: 'own', senderDeviceId: svc1.deviceId, fromCache: true });

      const reply = secret(`Bob replies ${round} ${randomUUID()}`);
      const rid = await bob.sendEncrypted(alice.jid, reply);
      const rm = await fromBob(tab1, rid);
      const r = await svc1.decryptMessage(rm);
      assert.equal(r.status === 'ok' && r.text, reply);
      const r2 = await svc2.decryptMessage(await fromBob(tab2, rid));
      assert.equal(r2.status === 'ok' && r2.text, reply);
      if (round > 0) {
        // Tab 1 has answered Bob: his messages to tab 1 are plain SignalMessages now.
        assert.equal(parseEncrypted(parseXml(rm.encrypted!)).keys.find((k) => k.rid === svc1.deviceId)?.prekey, false);
      }
    }
  });

  test("Bob's message for another device only: 'not-for-this-device' in both tabs, with a sentence for the user", async () => {
    // A third device of Alice's account in another browser profile.
    const browser2 = new HttpBrowser(stack.url);
    await browser2.login(alice.jid, alice.password);
    const tab3 = await openTab(browser2);
    const svc3 = await startService(tab3, alice.jid, { dbName: `omemo-interop-other-${kind}-${process.pid}`, locks: new MemoryLocks() });
    const text = secret(`only for the third device ${randomUUID()}`);
    const id = await bob.sendEncrypted(alice.jid, text, { deviceIds: [svc3.deviceId] });
    const m = await fromBob(tab1, id);
    const r1 = await svc1.decryptMessage(m);
    assert.equal(r1.status, 'not-for-this-device');
    assert.match((r1 as { message: string }).message, /not encrypted for this tab/);
    assert.equal((await svc2.decryptMessage(await fromBob(tab2, id))).status, 'not-for-this-device');
    const r3 = await svc3.decryptMessage(await fromBob(tab3, id));
    assert.equal(r3.status === 'ok' && r3.text, text);
    // The other browser's cache is not this browser's: still not readable here.
    assert.equal((await svc1.decryptMessage(m)).status, 'not-for-this-device');
  });

  test('the server stores only ciphertext: fallback bodies, and no plaintext anywhere in the database', async () => {
    const account = await stack.parley.stores.accounts.byJid(alice.jid);
    assert.ok(account);
    const rows = await stack.parley.stores.messages.page(account.id, bob.jid, { limit: 100 });
    assert.ok(rows.length >= 9, `expected the conversation in the database, got ${rows.length} rows`);
    for (const row of rows) {
      assert.ok(row.encrypted?.startsWith('<encrypted'), `row ${row.id} keeps the <encrypted> element`);
      assert.ok(row.body === FALLBACK || /encrypted with OMEMO/.test(row.body ?? ''), `row ${row.id} body is a fallback text: ${row.body}`);
    }
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const { rows: tables } = await client.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
      let dumped = '';
      for (const { table_name } of tables) {
        const { rows: all } = await client.query(`SELECT row_to_json(t)::text AS j FROM "${table_name}" t`);
        dumped += all.map((r: { j: string }) => r.j).join('\n');
      }
      // The dump does cover the stored conversation (so the search below can find things).
      assert.ok(dumped.includes(bob.jid) && dumped.includes('<encrypted'));
      for (const s of secrets) assert.equal(dumped.includes(s), false, `plaintext found in the database: ${s}`);
    } finally {
      await client.end();
    }
  });

  test('trust over the real stack: Bob\'s fingerprint as Alice sees it matches his device; verify it', async () => {
    const devices = await svc1.devicesOf(bob.jid);
    assert.equal(devices.length, 1);
    assert.equal(devices[0]!.fingerprint!.replace(/ /g, ''), Buffer.from(bob.device.identityKey.subarray(1)).toString('hex'));
    await svc1.setTrust(bob.jid, bob.deviceId, 'verified');
    const text = secret(`verified ${randomUUID()}`);
    const id = await bob.sendEncrypted(alice.jid, text);
    const r = await svc2.decryptMessage(await fromBob(tab2, id));
    assert.equal(r.status === 'ok' && r.trust, 'verified', 'trust is shared by the tabs of one browser');
    const own = await svc1.devicesOf(alice.jid);
    assert.equal(own.filter((d) => d.isThisBrowser).length, 2);
  });

  test('a new device builds its session from Bob\'s bundle as published now, not from the copy the server handed out before', async () => {
    // Alice's tabs have fetched Bob's bundle (trust list above): the server holds a copy. Bob's prekeys are then used up
    // and replaced, as Profanity does after each PreKey message it reads.
    assert.ok((await svc1.devicesOf(bob.jid))[0]?.fingerprint);
    bob.device.replacePreKeys();
    await bob.publishBundle();
    // Alice in another browser: a new device with no session with Bob.
    const browser = new HttpBrowser(stack.url);
    assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
    const svc3 = await startService(await openTab(browser), alice.jid, { dbName: `omemo-interop-3-${kind}-${process.pid}`, locks: new MemoryLocks() });
    const text = secret(`from a new browser ${randomUUID()}`);
    const out = await svc3.encryptFor(bob.jid, text);
    assert.equal(parseEncrypted(parseXml(out.encrypted)).keys.find((k) => k.rid === bob.deviceId)?.prekey, true);
    assert.equal(await bob.device.decrypt(parseXml(out.encrypted), alice.jid), text);
  });
});
