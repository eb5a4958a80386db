/**
 * OMEMO in a private group, in the browser code (OmemoService) against reference devices (libsignal-client 0.23.1):
 * Alice in Parley with two tabs, Bob with one device and Carol with two. The server is a small in-memory table of
 * device lists, bundles and the room's member list answering the socket commands (the real stack is in
 * test/integration/rooms-omemo.test.ts and test/e2e/rooms-omemo.test.ts).
 */
import 'fake-indexeddb/auto';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OmemoService, OmemoEncryptError, DISPLAY_MESSAGES, MAX_ROOM_MEMBERS, senderOf, type CommandFn } from '../../client/omemo/service.js';
import { MemoryLocks, MemoryStorage } from '../../client/omemo/pool.js';
import { parseBundle, parseEncrypted, parseXml } from '../../client/omemo/codec.js';
import { ReferenceDevice } from '../harness/omemo-reference.js';
import type { MessageDTO } from '../../server/realtime/contract.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const CAROL = 'carol@example.org';
const DAVE = 'dave@example.org';
const ROOM = 'family@conference.example.org';

class FakeServer {
  readonly lists = new Map<string, number[]>();
  readonly bundles = new Map<string, string>();
  readonly members = new Map<string, string[]>();
  /** Accounts whose device list the server cannot read for us (a node shown to contacts only). */
  readonly hidden = new Set<string>();
  readonly calls: { name: string; payload: Record<string, unknown> }[] = [];
  private nextId = 1;

  commandFor(account: string): CommandFn {
    return (async (name: string, payload: Record<string, unknown>) => {
      this.calls.push({ name, payload });
      switch (name) {
        case 'omemoAnnounce': {
          const id = payload.deviceId as number;
          if (payload.bundle) this.bundles.set(`${account}:${id}`, payload.bundle as string);
          const list = this.lists.get(account) ?? [];
          if (!list.includes(id)) list.push(id);
          this.lists.set(account, list);
          return { devices: [...list] };
        }
        case 'omemoDevices':
          if (this.hidden.has(payload.jid as string)) throw new Error(`${payload.jid} shows their OMEMO device list to contacts only`);
          return { devices: [...(this.lists.get(payload.jid as string) ?? [])] };
        case 'omemoBundle':
          return { bundle: this.bundles.get(`${payload.jid}:${payload.deviceId}`) ?? null };
        case 'roomMembers': {
          const m = this.members.get(payload.room as string);
          if (!m) throw new Error('not a private group');
          return { members: [...m] };
        }
        default:
          throw new Error(`unexpected command ${name}`);
      }
    }) as CommandFn;
  }

  add(ref: ReferenceDevice): ReferenceDevice {
    this.lists.set(ref.jid, [...(this.lists.get(ref.jid) ?? []), ref.deviceId]);
    this.bundles.set(`${ref.jid}:${ref.deviceId}`, ref.bundleElement().toString());
    return ref;
  }

  bundleOf(jid: string, deviceId: number) {
    return parseBundle(parseXml(this.bundles.get(`${jid}:${deviceId}`)!), deviceId);
  }

  messageId(): string {
    return String(this.nextId++);
  }
}

let n = 0;
const services: OmemoService[] = [];
after(() => services.forEach((s) => s.close()));

async function setup() {
  const server = new FakeServer();
  const dbName = `omemo-rooms-${process.pid}-${n++}`;
  const locks = new MemoryLocks();
  const tab = async () => {
    const s = await OmemoService.start({ account: ALICE, command: server.commandFor(ALICE), locks, storage: new MemoryStorage(), dbName, preKeyCount: 20 });
    services.push(s);
    return s;
  };
  const tab1 = await tab();
  const tab2 = await tab();
  const bob = server.add(ReferenceDevice.create(BOB, { preKeyCount: 5 }));
  const carol1 = server.add(ReferenceDevice.create(CAROL, { preKeyCount: 5 }));
  const carol2 = server.add(ReferenceDevice.create(CAROL, { preKeyCount: 5 }));
  server.members.set(ROOM, [ALICE, BOB, CAROL]);
  return { server, tab1, tab2, bob, carol1, carol2 };
}

/** A room message as the server hands it to a tab: peer = the room, the nick, and the real JID the room shows. */
function roomMessage(server: FakeServer, m: Partial<MessageDTO> & { direction: 'in' | 'out'; encrypted: string; nick: string }): MessageDTO {
  return {
    id: server.messageId(),
    peer: ROOM,
    from: `${ROOM}/${m.nick}`,
    to: ALICE,
    body: 'I sent you an OMEMO encrypted message but your client doesn’t seem to support that.',
    stamp: new Date().toISOString(),
    state: 'received',
    originId: null,
    stanzaId: null,
    ...m,
  };
}

const rids = (xml: string) => parseEncrypted(parseXml(xml)).keys.map((k) => k.rid).sort((a, b) => a - b);

test('encryptForRoom: one <encrypted> with keys for every member device and our other tab; each decrypts', async () => {
  const { server, tab1, tab2, bob, carol1, carol2 } = await setup();
  const originId = randomUUID();
  const out = await tab1.encryptForRoom(ROOM, 'hello family', { originId });
  assert.deepEqual(rids(out.encrypted), [bob.deviceId, carol1.deviceId, carol2.deviceId, tab2.deviceId].sort((a, b) => a - b),
    'every member device and our own other device, never the sending tab');
  assert.equal(out.perDevice.filter((p) => p.ok).length, 4);
  assert.deepEqual(out.unreachable, []);
  assert.deepEqual(server.calls.filter((c) => c.name === 'roomMembers').map((c) => c.payload), [{ room: ROOM }]);
  // Each reference device reads it as coming from Alice (the room shows her real JID).
  for (const ref of [bob, carol1, carol2]) assert.equal(await ref.decrypt(parseXml(out.encrypted), ALICE), 'hello family');

  // The room reflects it: tab 1 shows its own text, tab 2 decrypts its copy as ours.
  const reflected = roomMessage(server, { direction: 'out', encrypted: out.encrypted, nick: 'alice', senderJid: ALICE, originId });
  assert.deepEqual(await tab1.decryptMessage(reflected), { status: 'ok', text: 'hello family', trust: 'own', senderDeviceId: tab1.deviceId, fromCache: true });
  const copy = await tab2.decryptMessage({ ...reflected });
  assert.equal(copy.status === 'ok' && copy.text, 'hello family');

  // Established sessions: the second message needs no bundle and is no PreKey message after the members replied.
  const reply = await bob.encrypt('reply from Bob', [tab1, tab2].map((t) => ({ jid: ALICE, deviceId: t.deviceId, bundle: server.bundleOf(ALICE, t.deviceId) })));
  assert.equal((await tab1.decryptMessage(roomMessage(server, { direction: 'in', encrypted: reply.toString(), nick: 'bob', senderJid: BOB }))).status, 'ok');
  const bundlesBefore = server.calls.filter((c) => c.name === 'omemoBundle').length;
  const second = await tab1.encryptForRoom(ROOM, 'second');
  assert.equal(server.calls.filter((c) => c.name === 'omemoBundle').length, bundlesBefore, 'sessions exist: no bundle fetched');
  assert.equal(parseEncrypted(parseXml(second.encrypted)).keys.find((k) => k.rid === bob.deviceId)?.prekey, false);
  assert.equal(await bob.decrypt(parseXml(second.encrypted), ALICE), 'second');
  assert.equal(await carol2.decrypt(parseXml(second.encrypted), ALICE), 'second');
});

test('incoming room message: decrypted with the real JID the room shows (not the nick), in both tabs, cached per row', async () => {
  const { server, tab1, tab2, carol2 } = await setup();
  const enc = await carol2.encrypt('from Carol to the group', [tab1, tab2].map((t) => ({ jid: ALICE, deviceId: t.deviceId, bundle: server.bundleOf(ALICE, t.deviceId) })));
  const m = roomMessage(server, { direction: 'in', encrypted: enc.toString(), nick: 'Mum', senderJid: CAROL });
  const r1 = await tab1.decryptMessage(m);
  assert.deepEqual(r1, { status: 'ok', text: 'from Carol to the group', trust: 'unverified', senderDeviceId: carol2.deviceId, fromCache: false });
  const r2 = await tab2.decryptMessage(m);
  assert.equal(r2.status === 'ok' && r2.text, 'from Carol to the group');
  // The cache keeps the room as the place and Carol as the sender: search finds it in the room, trust follows Carol's device.
  const hits = await tab1.searchPlaintexts((t) => t.includes('group'), ROOM);
  assert.deepEqual(hits.map((h) => [h.id, h.peer, h.direction]), [[m.id, ROOM, 'in']]);
  assert.deepEqual(await tab1.searchPlaintexts((t) => t.includes('group'), CAROL), [], 'not filed under the sender as a direct chat');
  await tab1.setTrust(CAROL, carol2.deviceId, 'verified');
  const replay = await tab2.decryptMessage(m);
  assert.deepEqual(replay, { status: 'ok', text: 'from Carol to the group', trust: 'verified', senderDeviceId: carol2.deviceId, fromCache: true });
  // The devices of the member, as the Security panel lists them, carry that trust.
  const devices = await tab1.devicesOf(CAROL);
  assert.deepEqual(devices.map((d) => [d.deviceId, d.trust]).sort(), [[carol2.deviceId, 'verified'], [devices.find((d) => d.deviceId !== carol2.deviceId)!.deviceId, 'unverified']].sort());
});

test('a room message without the real sender JID cannot be decrypted, and says so', async () => {
  const { server, tab1, tab2, bob } = await setup();
  const enc = await bob.encrypt('hidden sender', [{ jid: ALICE, deviceId: tab1.deviceId, bundle: server.bundleOf(ALICE, tab1.deviceId) }]);
  const m = roomMessage(server, { direction: 'in', encrypted: enc.toString(), nick: 'bob' });
  assert.deepEqual(await tab1.decryptMessage(m), { status: 'no-sender', message: DISPLAY_MESSAGES['no-sender'] });
  assert.match(DISPLAY_MESSAGES['no-sender'], /real address/);
  // The nick is never taken for a JID, nor the room's own address.
  assert.equal(senderOf({ direction: 'in', peer: ROOM, nick: 'bob@example.org' }, ALICE), null);
  assert.equal(senderOf({ direction: 'in', peer: `${ROOM}/bob`, nick: 'bob' }, ALICE), null, 'a MUC-PM without a real JID');
  assert.equal(senderOf({ direction: 'in', peer: ROOM, nick: 'bob', senderJid: 'Bob@Example.org/phone' }, ALICE), BOB);
  assert.equal(senderOf({ direction: 'in', peer: BOB }, ALICE), BOB, 'direct chat: the peer');
  assert.equal(senderOf({ direction: 'out', peer: ROOM, nick: 'alice' }, ALICE), ALICE);
  // Nothing was used up: with the sender known, the same message still decrypts.
  const r = await tab1.decryptMessage({ ...m, id: server.messageId(), senderJid: BOB });
  assert.equal(r.status === 'ok' && r.text, 'hidden sender');
  assert.equal((await tab2.decryptMessage({ ...m, id: server.messageId(), senderJid: BOB })).status, 'not-for-this-device');
});

test('a room claiming the wrong sender: the message does not decrypt under a known member\'s identity', async () => {
  const { server, tab1, bob, carol1 } = await setup();
  // Alice knows Carol's device (trust on first use through a first message).
  const first = await carol1.encrypt('hi', [{ jid: ALICE, deviceId: tab1.deviceId, bundle: server.bundleOf(ALICE, tab1.deviceId) }]);
  assert.equal((await tab1.decryptMessage(roomMessage(server, { direction: 'in', encrypted: first.toString(), nick: 'carol', senderJid: CAROL }))).status, 'ok');
  const fromBob = await bob.encrypt('from Bob, claimed as Carol', [{ jid: ALICE, deviceId: tab1.deviceId, bundle: server.bundleOf(ALICE, tab1.deviceId) }]);
  // Bob's device id under Carol's name: no session with that device of Carol; a PreKey message needs Carol's identity there.
  const spoofed = parseXml(fromBob.toString());
  spoofed.getChild('header')!.attrs.sid = String(carol1.deviceId);
  const r = await tab1.decryptMessage(roomMessage(server, { direction: 'in', encrypted: spoofed.toString(), nick: 'carol', senderJid: CAROL }));
  assert.notEqual(r.status, 'ok');
  assert.equal(r.status, 'untrusted');
});

test('encryptForRoom fails clearly, naming the members without OMEMO devices; nothing is remembered as sent', async () => {
  const { server, tab1 } = await setup();
  server.members.set(ROOM, [ALICE, BOB, CAROL, DAVE]);
  const originId = randomUUID();
  await assert.rejects(tab1.encryptForRoom(ROOM, 'x', { originId }), (e: unknown) =>
    e instanceof OmemoEncryptError && e.message.includes(DAVE) && !e.message.includes(BOB) && /has no OMEMO devices/.test(e.message));
  assert.equal(await tab1.plaintexts.sentText(originId), undefined);
  // A device list the server cannot read counts as none; the reason is named beside the member.
  server.hidden.add(DAVE);
  await assert.rejects(tab1.encryptForRoom(ROOM, 'x'), (e: unknown) =>
    e instanceof OmemoEncryptError && e.message.startsWith(`${DAVE} (${DAVE} shows their OMEMO device list to contacts only) has no OMEMO devices`));
  assert.deepEqual((await tab1.roomAvailability(ROOM)).without, [DAVE]);
  const many = Array.from({ length: 7 }, (_, i) => `m${i}@example.org`);
  await assert.rejects(tab1.encryptForRoom(ROOM, 'x', { members: many }), /m0@example\.org, m1@example\.org, m2@example\.org, m3@example\.org, m4@example\.org and 2 more have no OMEMO devices/);
  const huge = Array.from({ length: MAX_ROOM_MEMBERS + 1 }, (_, i) => `u${i}@example.org`);
  await assert.rejects(tab1.encryptForRoom(ROOM, 'x', { members: huge }), /at most 200/);
  // A member whose only published device has no bundle: named with the reason.
  server.members.set(ROOM, [BOB]);
  server.bundles.delete(`${BOB}:${server.lists.get(BOB)![0]}`);
  await assert.rejects(tab1.encryptForRoom(ROOM, 'x'), (e: unknown) => e instanceof OmemoEncryptError && e.message.includes(`${BOB} (`) && /no published bundle/.test(e.message));
  // Not a private group: the server refuses the member list, and so does encryptForRoom.
  await assert.rejects(tab1.encryptForRoom('open@conference.example.org', 'x'), /not a private group/);
});

test('compromised devices are skipped; a member with no other device makes the send fail, naming them', async () => {
  const { tab1, tab2, bob, carol1, carol2 } = await setup();
  await tab1.setTrust(CAROL, carol1.deviceId, 'compromised');
  const out = await tab1.encryptForRoom(ROOM, 'not for the stolen phone');
  assert.deepEqual(rids(out.encrypted), [bob.deviceId, carol2.deviceId, tab2.deviceId].sort((a, b) => a - b));
  assert.equal(out.perDevice.find((p) => p.deviceId === carol1.deviceId)?.error, 'device marked compromised');
  await assert.rejects(carol1.decrypt(parseXml(out.encrypted), ALICE));
  await tab1.setTrust(CAROL, carol2.deviceId, 'compromised');
  await assert.rejects(tab1.encryptForRoom(ROOM, 'x'), (e: unknown) =>
    e instanceof OmemoEncryptError && e.message.includes(CAROL) && !e.message.includes(BOB) && /device marked compromised/.test(e.message));
});

test('roomAvailability: on when every member has devices; who lacks them; own account and duplicates are not members', async () => {
  const { server, tab1 } = await setup();
  server.members.set(ROOM, [ALICE, BOB, 'Bob@Example.org', CAROL]);
  assert.deepEqual(await tab1.roomAvailability(ROOM), { available: true, members: [BOB, CAROL], without: [], error: null });
  server.members.set(ROOM, [ALICE, BOB, DAVE]);
  assert.deepEqual(await tab1.roomAvailability(ROOM), { available: false, members: [BOB, DAVE], without: [DAVE], error: null });
  server.members.set(ROOM, [ALICE]);
  assert.equal((await tab1.roomAvailability(ROOM)).available, false, 'alone in the room: nobody to encrypt to');
  const refused = await tab1.roomAvailability('open@conference.example.org');
  assert.equal(refused.available, false);
  assert.match(refused.error ?? '', /not a private group/);
});
