import 'fake-indexeddb/auto';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { OmemoStore } from '../../client/omemo/store.js';
import { OmemoDevice } from '../../client/omemo/device.js';
import { decrypt, encrypt, encryptKeyTransport } from '../../client/omemo/cipher.js';
import { buildBundle, parseBundle, parseEncrypted, parseXml } from '../../client/omemo/codec.js';
import { ReferenceDevice } from '../harness/omemo-reference.js';
import type { Element } from '../../client/omemo/types.js';

const ALICE = 'alice@example.org'; // the JS (browser) side
const REF = 'ref@example.org'; // libsignal-client 0.23.1
let n = 0;
const stores: OmemoStore[] = [];
after(() => stores.forEach((s) => s.close()));

async function jsDevice(jid = ALICE): Promise<OmemoDevice> {
  const s = await OmemoStore.open(`omemo-interop-${process.pid}-${n++}`);
  stores.push(s);
  return OmemoDevice.create(s, jid, { preKeyCount: 5 });
}
/** Bundles travel as XML, as they would through PEP. */
const refBundle = (r: ReferenceDevice) => parseBundle(parseXml(r.bundleElement().toString()), r.deviceId);
const jsBundleForRef = (d: OmemoDevice) => parseBundle(parseXml(buildBundle(d.bundle()).toString()), d.deviceId);
/** Elements travel as XML text too, so neither side sees the other's objects. */
const wire = (e: Element) => parseXml(e.toString());
const prekeyOf = (e: Element, rid: number) => parseEncrypted(e).keys.find((k) => k.rid === rid)?.prekey;

test('JS → reference: PreKey first message, follow-ups, then the reference replies and prekey turns off', async () => {
  const a = await jsDevice();
  const r = ReferenceDevice.create(REF, { preKeyCount: 5 });
  const m1 = await encrypt(a, 'hello from the browser', [{ jid: REF, deviceId: r.deviceId, bundle: refBundle(r) }]);
  assert.equal(m1.perDevice[0]!.ok, true, m1.perDevice[0]!.error);
  assert.equal(prekeyOf(m1.element, r.deviceId), true);
  assert.equal(await r.decrypt(wire(m1.element), ALICE), 'hello from the browser');
  assert.equal(r.preKeyCount, 4);
  const m2 = await encrypt(a, 'second', [{ jid: REF, deviceId: r.deviceId }]);
  assert.equal(prekeyOf(m2.element, r.deviceId), true);
  assert.equal(await r.decrypt(wire(m2.element), ALICE), 'second');

  const reply = await r.encrypt('reply from libsignal', [{ jid: ALICE, deviceId: a.deviceId }]);
  assert.equal(prekeyOf(reply, a.deviceId), false);
  assert.deepEqual(await decrypt(a, wire(reply), REF), { status: 'ok', plaintext: 'reply from libsignal', senderDeviceId: r.deviceId, trust: 'unverified', prekey: false });
  const m3 = await encrypt(a, 'third, no prekey', [{ jid: REF, deviceId: r.deviceId }]);
  assert.equal(prekeyOf(m3.element, r.deviceId), false);
  assert.equal(await r.decrypt(wire(m3.element), ALICE), 'third, no prekey');
});

test('reference → JS: PreKey first message, follow-ups, JS replies and the reference stops sending prekey', async () => {
  const a = await jsDevice();
  const r = ReferenceDevice.create(REF, { preKeyCount: 5 });
  const m1 = await r.encrypt('hello from libsignal ünïcode', [{ jid: ALICE, deviceId: a.deviceId, bundle: jsBundleForRef(a) }]);
  assert.equal(prekeyOf(m1, a.deviceId), true);
  const d1 = await decrypt(a, wire(m1), REF);
  assert.deepEqual(d1, { status: 'ok', plaintext: 'hello from libsignal ünïcode', senderDeviceId: r.deviceId, trust: 'unverified', prekey: true });
  assert.equal(a.preKeyCount, 4);
  assert.deepEqual(await decrypt(a, wire(m1), REF), { status: 'duplicate' });
  const m2 = await r.encrypt('again', [{ jid: ALICE, deviceId: a.deviceId }]);
  assert.equal(prekeyOf(m2, a.deviceId), true);
  assert.equal((await decrypt(a, wire(m2), REF)).status, 'ok');

  const reply = await encrypt(a, 'reply from the browser', [{ jid: REF, deviceId: r.deviceId }]);
  assert.equal(prekeyOf(reply.element, r.deviceId), false);
  assert.equal(await r.decrypt(wire(reply.element), ALICE), 'reply from the browser');
  const m3 = await r.encrypt('after reply', [{ jid: ALICE, deviceId: a.deviceId }]);
  assert.equal(prekeyOf(m3, a.deviceId), false);
  assert.equal((await decrypt(a, wire(m3), REF)).status, 'ok');
});

test('key transport both ways, and a 16-byte IV from an older sender is accepted', async () => {
  const a = await jsDevice();
  const r = ReferenceDevice.create(REF, { preKeyCount: 5 });
  const first = await r.encrypt('hi', [{ jid: ALICE, deviceId: a.deviceId, bundle: jsBundleForRef(a) }]);
  assert.equal((await decrypt(a, wire(first), REF)).status, 'ok');
  const kt = await encryptKeyTransport(a, [{ jid: REF, deviceId: r.deviceId }]);
  assert.equal(await r.decrypt(wire(kt.element), ALICE), null);
  const ktBack = await r.encrypt(null, [{ jid: ALICE, deviceId: a.deviceId }]);
  assert.equal((await decrypt(a, wire(ktBack), REF)).status, 'key-only');

  const legacy = await r.encrypt('sixteen-byte iv', [{ jid: ALICE, deviceId: a.deviceId }], { ivBytes: 16 });
  assert.equal(Buffer.from(parseEncrypted(legacy).iv).length, 16);
  const d = await decrypt(a, wire(legacy), REF);
  assert.equal(d.status === 'ok' && d.plaintext, 'sixteen-byte iv');
});

test('the JS device refuses a reference bundle with a forged signature; the reference refuses a forged JS bundle', async () => {
  const a = await jsDevice();
  const r = ReferenceDevice.create(REF, { preKeyCount: 5 });
  const forged = refBundle(r);
  forged.signedPreKey.signature[0]! ^= 0x80;
  const m = await encrypt(a, 'x', [{ jid: REF, deviceId: r.deviceId, bundle: forged }]);
  assert.match(m.perDevice[0]!.error ?? '', /signature is invalid/);
  const jsForged = jsBundleForRef(a);
  jsForged.signedPreKey.signature[0]! ^= 0x80;
  await assert.rejects(r.encrypt('x', [{ jid: ALICE, deviceId: a.deviceId, bundle: jsForged }]));
});

test('one message to 10 devices mixing JS and reference devices (plus own-device copy)', async () => {
  const a = await jsDevice();
  const own = await OmemoDevice.create(stores[stores.length - 1]!, ALICE, { preKeyCount: 5 });
  const js = await Promise.all(Array.from({ length: 4 }, () => jsDevice('bob@example.org')));
  const refs = Array.from({ length: 5 }, () => ReferenceDevice.create(REF, { preKeyCount: 5 }));
  const m = await encrypt(a, 'to everyone', [
    { jid: ALICE, deviceId: own.deviceId, bundle: own.bundle() },
    ...js.map((d) => ({ jid: d.accountJid, deviceId: d.deviceId, bundle: d.bundle() })),
    ...refs.map((r) => ({ jid: REF, deviceId: r.deviceId, bundle: refBundle(r) })),
  ]);
  assert.equal(m.perDevice.filter((p) => p.ok).length, 10);
  for (const d of [own, ...js]) {
    const res = await decrypt(d, wire(m.element), ALICE);
    assert.equal(res.status === 'ok' && res.plaintext, 'to everyone');
  }
  for (const r of refs) assert.equal(await r.decrypt(wire(m.element), ALICE), 'to everyone');
});
