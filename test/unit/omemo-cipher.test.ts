import 'fake-indexeddb/auto';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { OmemoStore } from '../../client/omemo/store.js';
import { OmemoDevice } from '../../client/omemo/device.js';
import { decrypt, encrypt, encryptKeyTransport } from '../../client/omemo/cipher.js';
import { buildEncrypted, parseEncrypted } from '../../client/omemo/codec.js';
import type { Element } from '../../client/omemo/types.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
let dbCounter = 0;
const stores: OmemoStore[] = [];
after(() => stores.forEach((s) => s.close()));

async function newStore(): Promise<OmemoStore> {
  const s = await OmemoStore.open(`omemo-cipher-test-${process.pid}-${dbCounter++}`);
  stores.push(s);
  return s;
}
async function newDevice(jid: string, store?: OmemoStore, deviceId?: number): Promise<OmemoDevice> {
  return OmemoDevice.create(store ?? (await newStore()), jid, { preKeyCount: 5, deviceId });
}
const to = (d: OmemoDevice, withBundle = true) => ({ jid: d.accountJid, deviceId: d.deviceId, bundle: withBundle ? d.bundle() : undefined });
const prekeyOf = (e: Element, rid: number) => parseEncrypted(e).keys.find((k) => k.rid === rid)?.prekey;

test('JS↔JS: PreKey first message, follow-ups keep prekey until the peer replies, reply turns it off', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  const m1 = await encrypt(a, 'hello bob', [to(b)]);
  assert.deepEqual(m1.perDevice, [{ jid: BOB, deviceId: b.deviceId, ok: true, prekey: true }]);
  const m2 = await encrypt(a, 'still there?', [to(b, false)]);
  assert.equal(prekeyOf(m2.element, b.deviceId), true, 'prekey="true" repeats until the peer answers');
  const r1 = await decrypt(b, m1.element, ALICE);
  assert.deepEqual(r1, { status: 'ok', plaintext: 'hello bob', senderDeviceId: a.deviceId, trust: 'unverified', prekey: true });
  assert.equal(b.preKeyCount, 4, 'the used one-time prekey is removed');
  assert.equal((await decrypt(b, m2.element, ALICE)).status, 'ok');

  const reply = await encrypt(b, 'hi alice ✓', [to(a, false)]);
  assert.equal(prekeyOf(reply.element, a.deviceId), false);
  assert.deepEqual(await decrypt(a, reply.element, BOB), { status: 'ok', plaintext: 'hi alice ✓', senderDeviceId: b.deviceId, trust: 'unverified', prekey: false });
  const m3 = await encrypt(a, 'third', [to(b, false)]);
  assert.equal(prekeyOf(m3.element, b.deviceId), false, 'after a reply, messages are plain SignalMessages');
  assert.equal((await decrypt(b, m3.element, ALICE)).status, 'ok');
});

test('a reloaded device keeps its sessions and bundle', async () => {
  const store = await newStore();
  const a = await newDevice(ALICE, store);
  const b = await newDevice(BOB);
  await decrypt(b, (await encrypt(a, 'x', [to(b)])).element, ALICE);
  const again = await OmemoDevice.load(store, ALICE, a.deviceId);
  assert.ok(again);
  assert.deepEqual(again.bundle(), a.bundle());
  const m = await encrypt(again, 'after reload', [to(b, false)]);
  assert.equal((await decrypt(b, m.element, ALICE)).status, 'ok');
  assert.equal(await OmemoDevice.load(store, ALICE, 12345), null);
  assert.deepEqual(await store.listDevices(ALICE), [a.deviceId]);
});

test('two devices of one account: own-device copy, and our own device id is never a recipient', async () => {
  const store = await newStore(); // both tabs share one browser profile, like real tabs
  const a1 = await newDevice(ALICE, store);
  const a2 = await newDevice(ALICE, store);
  assert.notEqual(a1.deviceId, a2.deviceId);
  const b = await newDevice(BOB);
  const m = await encrypt(a1, 'to bob, copy to my other tab', [to(b), to(a2), to(a1)]);
  assert.deepEqual(m.perDevice.map((p) => p.ok), [true, true, false]);
  assert.equal((await decrypt(b, m.element, ALICE)).status, 'ok');
  const copy = await decrypt(a2, m.element, ALICE);
  assert.equal(copy.status === 'ok' && copy.plaintext, 'to bob, copy to my other tab');
  assert.equal((await decrypt(a1, m.element, ALICE)).status, 'not-for-this-device');
});

test('encrypts to 10 devices, each decrypts', async () => {
  const a = await newDevice(ALICE);
  const peers = await Promise.all(Array.from({ length: 10 }, (_, i) => newDevice(i < 5 ? BOB : 'carol@example.org')));
  const m = await encrypt(a, 'to ten', peers.map((p) => to(p)));
  assert.equal(m.perDevice.filter((p) => p.ok).length, 10);
  assert.equal(parseEncrypted(m.element).keys.length, 10);
  for (const p of peers) {
    const r = await decrypt(p, m.element, ALICE);
    assert.equal(r.status === 'ok' && r.plaintext, 'to ten');
  }
});

test('a bad bundle signature fails only that device, with a clear error', async () => {
  const a = await newDevice(ALICE);
  const good = await newDevice(BOB);
  const bad = await newDevice(BOB);
  const forged = bad.bundle();
  forged.signedPreKey.signature[10]! ^= 0x01;
  const m = await encrypt(a, 'hi', [to(good), { jid: BOB, deviceId: bad.deviceId, bundle: forged }]);
  assert.equal(m.perDevice[0]!.ok, true);
  assert.equal(m.perDevice[1]!.ok, false);
  assert.match(m.perDevice[1]!.error!, /signature is invalid/);
  assert.deepEqual(parseEncrypted(m.element).keys.map((k) => k.rid), [good.deviceId]);
  assert.equal((await decrypt(bad, m.element, ALICE)).status, 'not-for-this-device');
  // Without a session and without a bundle there is nothing to encrypt to.
  const n = await encrypt(a, 'hi', [{ jid: BOB, deviceId: bad.deviceId }]);
  assert.deepEqual(n.perDevice, [{ jid: BOB, deviceId: bad.deviceId, ok: false, error: 'no session and no bundle' }]);
});

test('corrupt elements are reported as malformed, never thrown', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  const m = await encrypt(a, 'secret', [to(b)]);
  const p = parseEncrypted(m.element);

  const badPayload = buildEncrypted({ ...p, payload: p.payload!.map((x, i) => (i === 0 ? x ^ 1 : x)) });
  const r1 = await decrypt(b, badPayload, ALICE);
  assert.deepEqual(r1, { status: 'malformed', reason: 'payload failed authentication' });

  const a2 = await newDevice(ALICE);
  const m2 = await encrypt(a2, 'secret', [to(b)]);
  const p2 = parseEncrypted(m2.element);
  const k = p2.keys[0]!;
  const badKey = buildEncrypted({ ...p2, keys: [{ ...k, data: k.data.map((x, i) => (i === k.data.length - 3 ? x ^ 1 : x)) }] });
  const r2 = await decrypt(b, badKey, ALICE);
  assert.equal(r2.status, 'malformed');
  // The genuine message still decrypts afterwards: a forged copy does not burn the session.
  assert.equal((await decrypt(b, m2.element, ALICE)).status, 'ok');

  const garbageKey = buildEncrypted({ ...p, keys: [{ rid: b.deviceId, prekey: true, data: new Uint8Array([0x33, 1, 2, 3]) }] });
  assert.equal((await decrypt(b, garbageKey, ALICE)).status, 'malformed');
  assert.equal((await decrypt(b, 'no element', ALICE)).status, 'malformed');
  assert.equal((await decrypt(b, { name: 'encrypted' }, ALICE)).status, 'malformed');
});

test('unknown sender device without a PreKey message => no-session', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  await decrypt(b, (await encrypt(a, '1', [to(b)])).element, ALICE);
  await decrypt(a, (await encrypt(b, '2', [to(a, false)])).element, BOB);
  const m = await encrypt(a, '3', [to(b, false)]);
  assert.equal(prekeyOf(m.element, b.deviceId), false);
  // Same device id, fresh storage (e.g. the tab's IndexedDB was cleared): it has no session with Alice.
  const bReset = await newDevice(BOB, undefined, b.deviceId);
  assert.deepEqual(await decrypt(bReset, m.element, ALICE), { status: 'no-session' });
});

test('replayed messages are refused as duplicates (PreKey and follow-up)', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  const m1 = await encrypt(a, 'one', [to(b)]);
  assert.equal((await decrypt(b, m1.element, ALICE)).status, 'ok');
  assert.deepEqual(await decrypt(b, m1.element, ALICE), { status: 'duplicate' });
  await decrypt(a, (await encrypt(b, 'reply', [to(a, false)])).element, BOB);
  const m2 = await encrypt(a, 'two', [to(b, false)]);
  assert.equal((await decrypt(b, m2.element, ALICE)).status, 'ok');
  assert.deepEqual(await decrypt(b, m2.element, ALICE), { status: 'duplicate' });
});

test('a message carrying a key only for another device => not-for-this-device', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  const c = await newDevice(BOB);
  const m = await encrypt(a, 'only for b', [to(b)]);
  assert.deepEqual(await decrypt(c, m.element, ALICE), { status: 'not-for-this-device' });
});

test('KeyTransportElement: key-only, and it answers a PreKey session', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  await decrypt(b, (await encrypt(a, 'hello', [to(b)])).element, ALICE);
  const kt = await encryptKeyTransport(b, [to(a, false)]);
  assert.equal(kt.element.getChild('payload'), undefined);
  assert.deepEqual(await decrypt(a, kt.element, BOB), { status: 'key-only', senderDeviceId: b.deviceId, prekey: false });
  const next = await encrypt(a, 'no more prekey', [to(b, false)]);
  assert.equal(prekeyOf(next.element, b.deviceId), false);
});

test('a CHANGED identity key for a known device is refused in both directions', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  await decrypt(b, (await encrypt(a, 'hello', [to(b)])).element, ALICE);
  await decrypt(a, (await encrypt(b, 'hi', [to(a, false)])).element, BOB);

  // Bob's device id comes back with a new identity (reinstall, or an attacker republishing the bundle).
  const impostor = await newDevice(BOB, undefined, b.deviceId);
  const forged = await encrypt(impostor, 'trust me', [to(a)]);
  assert.equal(forged.perDevice[0]!.ok, true);
  assert.deepEqual(await decrypt(a, forged.element, BOB), { status: 'untrusted-identity', senderDeviceId: b.deviceId });

  // Sending: even without a session, Alice will not build one from a bundle with a different identity key.
  await a.store.removeSession(BOB, b.deviceId);
  const out = await encrypt(a, 'x', [to(impostor)]);
  assert.equal(out.perDevice[0]!.ok, false);
  assert.match(out.perDevice[0]!.error!, /identity key differs/);

  // After the user accepts the change, it is trusted on first use again.
  await a.store.forgetIdentity(BOB, b.deviceId);
  const accepted = await encrypt(impostor, 'new key, really me', [to(a)]);
  assert.equal((await decrypt(a, accepted.element, BOB)).status, 'ok');
});

test('compromised devices get no key and are not decrypted; verified trust is reported', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  const c = await newDevice(BOB);
  await decrypt(b, (await encrypt(a, 'hello', [to(b)])).element, ALICE);
  await a.store.setTrust(BOB, c.deviceId, 'compromised', c.identityKey);
  const m = await encrypt(a, 'x', [to(b, false), to(c)]);
  assert.deepEqual(m.perDevice.map((p) => [p.ok, p.error]), [[true, undefined], [false, 'device marked compromised']]);

  await b.store.setTrust(ALICE, a.deviceId, 'verified');
  const r = await decrypt(b, m.element, ALICE);
  assert.equal(r.status === 'ok' && r.trust, 'verified');

  await a.store.setTrust(BOB, b.deviceId, 'compromised');
  const fromB = await encrypt(b, 'from a compromised device', [to(a, false)]);
  assert.deepEqual(await decrypt(a, fromB.element, BOB), { status: 'untrusted-identity', senderDeviceId: b.deviceId });
});

test('replenishPreKeys tops up with fresh ids and reports a changed bundle', async () => {
  const a = await newDevice(ALICE);
  const b = await newDevice(BOB);
  const before = b.bundle().preKeys.map((k) => k.id);
  await decrypt(b, (await encrypt(a, 'hello', [to(b)])).element, ALICE);
  assert.equal(b.preKeyCount, 4);
  assert.equal(await b.replenishPreKeys(3, 5), false);
  assert.equal(await b.replenishPreKeys(5, 5), true);
  const ids = b.bundle().preKeys.map((k) => k.id);
  assert.equal(ids.length, 5);
  assert.ok(ids.includes(6), 'new prekey ids continue after the highest ever issued');
  assert.equal(ids.filter((id) => !before.includes(id)).length, 1);
});
