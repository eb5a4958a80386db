/**
 * OMEMO in a private group across the real stack: Alice in Parley with two tabs (two OmemoService instances in Node
 * over real socket.io tabs, one browser profile), Bob and Carol on "another client" each (OmemoPeer: libsignal-client
 * 0.23.1 + its own XMPP connection), a real Prosody MUC and a real PostgreSQL in between. The room is created by
 * Parley's roomCreate ("private group": members-only, non-anonymous); an open channel refuses OMEMO.
 */
import 'fake-indexeddb/auto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { OmemoService, OmemoEncryptError, type CommandFn } from '../../client/omemo/service.js';
import { MemoryLocks, MemoryStorage } from '../../client/omemo/pool.js';
import { parseEncrypted, parseXml } from '../../client/omemo/codec.js';
import { until } from '../harness/poll.js';
import type { MessageDTO } from '../../server/realtime/contract.js';

let stack: TestStack;
let alice: { jid: string; password: string };
let bob: OmemoPeer;
let carol: OmemoPeer;
let tab1: TestTab;
let tab2: TestTab;
let svc1: OmemoService;
let svc2: OmemoService;
let room: string;
const tabs: TestTab[] = [];
const services: OmemoService[] = [];
const secrets: string[] = [];
const secret = (s: string) => (secrets.push(s), s);

async function openTab(browser: HttpBrowser): Promise<TestTab> {
  const tab = browser.tab();
  tabs.push(tab);
  await tab.waitFor('hello');
  return tab;
}

async function startService(tab: TestTab, profile: { dbName: string; locks: MemoryLocks }): Promise<OmemoService> {
  const command: CommandFn = (name, payload) => tab.command(name, payload);
  const svc = await OmemoService.start({ account: alice.jid, command, locks: profile.locks, storage: new MemoryStorage(), dbName: profile.dbName });
  tab.socket.on('omemoDevices', (e) => svc.handleDevicesEvent(e));
  services.push(svc);
  return svc;
}

const inRoom = (tab: TestTab, originId: string): Promise<MessageDTO> =>
  tab.waitFor('message', (e) => e.message.peer === room && e.message.originId === originId && e.message.encrypted !== null).then((e) => e.message);

before(async () => {
  stack = await TestStack.start({ prosody: { muc: true } });
  alice = await stack.newUser('alice');
  const b = await stack.newUser('bob');
  const c = await stack.newUser('carol');
  const browser = new HttpBrowser(stack.url);
  assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
  tab1 = await openTab(browser);
  tab2 = await openTab(browser);
  const profile = { dbName: `rooms-omemo-${process.pid}`, locks: new MemoryLocks() };
  svc1 = await startService(tab1, profile);
  svc2 = await startService(tab2, profile);
  bob = await OmemoPeer.start(stack.server, b.jid, b.password);
  carol = await OmemoPeer.start(stack.server, c.jid, c.password);

  room = `family-${randomUUID().slice(0, 8)}@${stack.prosody.mucDomain}`;
  const created = await tab1.command('roomCreate', { room, preset: 'group', name: 'Family', nick: 'Alice', members: [bob.jid, carol.jid] });
  assert.deepEqual(created.room.omemo, { allowed: true, reason: null });
  await bob.joinRoom(room, 'Bob');
  await carol.joinRoom(room, 'Carol');
  assert.equal(bob.occupants.get(room)?.get('Alice'), alice.jid, 'the room shows Alice\'s real JID');
});

after(async () => {
  services.forEach((s) => s.close());
  tabs.forEach((t) => t.close());
  await bob?.stop().catch(() => undefined);
  await carol?.stop().catch(() => undefined);
  await stack?.close();
});

test('roomMembers lists the members by real JID; every member publishes devices, so OMEMO is available', async () => {
  const { members } = await tab1.command('roomMembers', { room });
  assert.deepEqual([...members].sort(), [alice.jid, bob.jid, carol.jid].sort());
  const a = await svc1.roomAvailability(room);
  assert.deepEqual(a, { available: true, members: [bob.jid, carol.jid].sort(), without: [], error: null });
});

test('Alice tab 1 -> the group: Bob and Carol decrypt, tab 2 decrypts its copy, tab 1 shows its own text', async () => {
  for (let round = 0; round < 2; round++) {
    const text = secret(`to the family ${round} ${randomUUID()}`);
    const originId = randomUUID();
    const out = await svc1.encryptForRoom(room, text, { originId });
    const rids = parseEncrypted(parseXml(out.encrypted)).keys.map((k) => k.rid).sort();
    assert.deepEqual(rids, [bob.deviceId, carol.deviceId, svc2.deviceId].sort(), 'both members\' devices and our other tab');
    const sent = await tab1.command('send', { to: room, encrypted: out.encrypted, originId });
    assert.equal(sent.message.peer, room);
    await svc1.bindSent(originId, sent.message.id, { peer: room, direction: 'out', stamp: sent.message.stamp });

    const [atBob, atCarol] = await Promise.all([
      bob.waitForDecrypted((m) => m.text === text),
      carol.waitForDecrypted((m) => m.text === text),
    ]);
    for (const m of [atBob, atCarol]) {
      assert.deepEqual([m.from, m.room, m.nick, m.senderDeviceId], [alice.jid, room, 'Alice', svc1.deviceId]);
      assert.equal(m.stanza.attrs.type, 'groupchat');
    }
    const copy = await inRoom(tab2, originId);
    assert.equal(copy.direction, 'out');
    const c = await svc2.decryptMessage(copy);
    assert.equal(c.status === 'ok' && c.text, text);
    const own = await svc1.decryptMessage(sent.message);
    assert.deepEqual(own, { status: 'ok', text, trust: 'own', senderDeviceId: svc1.deviceId, fromCache: true });
  }
});

test('Bob and Carol -> the group: both of Alice\'s tabs decrypt with the real JID the room shows', async () => {
  for (const [peer, nick] of [[bob, 'Bob'], [carol, 'Carol']] as const) {
    const text = secret(`from ${nick} ${randomUUID()}`);
    const id = await peer.sendEncryptedToRoom(room, [alice.jid, bob.jid, carol.jid], text);
    const [m1, m2] = await Promise.all([inRoom(tab1, id), inRoom(tab2, id)]);
    assert.equal(m1.id, m2.id, 'one row');
    assert.deepEqual([m1.direction, m1.nick, m1.senderJid], ['in', nick, peer.jid]);
    const r1 = await svc1.decryptMessage(m1);
    const r2 = await svc2.decryptMessage(m2);
    assert.equal(r1.status === 'ok' && r1.text, text);
    assert.equal(r2.status === 'ok' && r2.text, text);
    assert.equal(r1.status === 'ok' && r1.senderDeviceId, peer.deviceId);
    // The other member decrypts it too (one <encrypted> for everyone).
    const other = peer === bob ? carol : bob;
    assert.equal((await other.waitForDecrypted((m) => m.text === text)).from, peer.jid);
  }
});

test('a member without OMEMO devices: sending fails and names them; an open channel refuses OMEMO with a reason', async () => {
  const dave = await stack.newUser('dave');
  await tab1.command('roomSetAffiliation', { room, jid: dave.jid, affiliation: 'member' });
  await until(async () => (await tab1.command('roomMembers', { room })).members.includes(dave.jid), 'Dave listed as a member');
  await assert.rejects(svc1.encryptForRoom(room, 'x'), (e: unknown) => e instanceof OmemoEncryptError && e.message.includes(dave.jid) && !e.message.includes(bob.jid));
  assert.deepEqual((await svc1.roomAvailability(room)).without, [dave.jid]);
  await tab1.command('roomSetAffiliation', { room, jid: dave.jid, affiliation: 'none' });

  const channel = `open-${randomUUID().slice(0, 8)}@${stack.prosody.mucDomain}`;
  const created = await tab1.command('roomCreate', { room: channel, preset: 'channel', nick: 'Alice' });
  assert.equal(created.room.omemo.allowed, false);
  assert.match(created.room.omemo.reason ?? '', /non-anonymous/);
  const refused = await svc1.roomAvailability(channel);
  assert.equal(refused.available, false);
  assert.match(refused.error ?? '', /private groups/);
  await assert.rejects(svc1.encryptForRoom(channel, 'x'), /private groups/);
});

test('the database holds only ciphertext of the room conversation', async () => {
  const account = await stack.parley.stores.accounts.byJid(alice.jid);
  assert.ok(account);
  const rows = await stack.parley.stores.messages.page(account.id, room, { limit: 100 });
  assert.ok(rows.length >= 4, `room rows stored: ${rows.length}`);
  for (const row of rows) {
    assert.ok(row.encrypted?.startsWith('<encrypted'), `row ${row.id} keeps the <encrypted> element`);
    for (const s of secrets) assert.ok(!(row.body ?? '').includes(s), `plaintext in row ${row.id}`);
  }
});
