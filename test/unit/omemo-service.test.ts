/**
 * OmemoService between two tabs of one account (one browser profile: same IndexedDB, same locks) and a reference
 * device (libsignal-client) for the contact. The server is played by a small in-memory table of device lists and
 * bundles answering the socket commands (unit test only; the real server is in test/integration/omemo-interop).
 */
import 'fake-indexeddb/auto';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OmemoService, OmemoEncryptError, type CommandFn, type OmemoChange } from '../../client/omemo/service.js';
import { MemoryLocks, MemoryStorage } from '../../client/omemo/pool.js';
import { parseBundle, parseEncrypted, parseXml } from '../../client/omemo/codec.js';
import { parseFingerprintUri, fingerprint } from '../../client/omemo/fingerprint.js';
import { ReferenceDevice } from '../harness/omemo-reference.js';
import type { MessageDTO } from '../../server/realtime/contract.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';

/**
 * The server's side of the OMEMO commands, per account: PEP lists and bundles, revocations. Like server/features/omemo.ts
 * it keeps the bundles it handed out and serves that copy again unless asked for a fresh one.
 */
class FakeServer {
  readonly lists = new Map<string, number[]>();
  readonly bundles = new Map<string, string>();
  readonly bundleCache = new Map<string, string | null>();
  /** Bundles the server refuses to fetch (a presence-only node of someone who is not our contact). */
  readonly refused = new Set<string>();
  readonly revoked = new Set<string>();
  readonly calls: { account: string; name: string; payload: unknown }[] = [];
  private nextId = 1;

  commandFor(account: string): CommandFn {
    return (async (name: string, payload: Record<string, unknown>) => {
      this.calls.push({ account, name, payload });
      switch (name) {
        case 'omemoAnnounce': {
          const id = payload.deviceId as number;
          if (payload.bundle) this.bundles.set(`${account}:${id}`, payload.bundle as string);
          const list = this.lists.get(account) ?? [];
          if (!this.revoked.has(`${account}:${id}`) && !list.includes(id)) list.push(id);
          this.lists.set(account, list);
          return { devices: [...list] };
        }
        case 'omemoDevices':
          return { devices: [...(this.lists.get(payload.jid as string) ?? [])] };
        case 'omemoBundle': {
          const key = `${payload.jid}:${payload.deviceId}`;
          if (this.refused.has(key)) throw new Error(`${payload.jid} shows the keys of this device to contacts only`);
          if (!payload.fresh && this.bundleCache.has(key)) return { bundle: this.bundleCache.get(key) ?? null };
          const bundle = this.bundles.get(key) ?? null;
          this.bundleCache.set(key, bundle);
          return { bundle };
        }
        case 'omemoRevoke': {
          const id = payload.deviceId as number;
          this.revoked.add(`${account}:${id}`);
          const list = (this.lists.get(account) ?? []).filter((d) => d !== id);
          this.lists.set(account, list);
          return { devices: [...list] };
        }
        default:
          throw new Error(`unexpected command ${name}`);
      }
    }) as CommandFn;
  }

  addReference(ref: ReferenceDevice): void {
    this.lists.set(ref.jid, [...(this.lists.get(ref.jid) ?? []), ref.deviceId]);
    this.bundles.set(`${ref.jid}:${ref.deviceId}`, ref.bundleElement().toString());
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

/** A browser profile: tabs share IndexedDB (dbName) and locks; each tab has its own sessionStorage. */
function browser(server: FakeServer, account = ALICE, preKeyCount = 30) {
  const dbName = `omemo-service-${process.pid}-${n++}`;
  const locks = new MemoryLocks();
  return {
    dbName,
    async tab(storage = new MemoryStorage()) {
      const s = await OmemoService.start({ account, command: server.commandFor(account), locks, storage, dbName, preKeyCount });
      services.push(s);
      return Object.assign(s, { storage });
    },
  };
}

function dto(server: FakeServer, m: Partial<MessageDTO> & { peer: string; direction: 'in' | 'out'; encrypted: string }): MessageDTO {
  return {
    id: server.messageId(),
    from: m.direction === 'in' ? m.peer : ALICE,
    to: m.direction === 'in' ? ALICE : m.peer,
    body: 'This message is encrypted with OMEMO, which your client does not seem to support.',
    stamp: new Date().toISOString(),
    state: 'received',
    originId: null,
    stanzaId: null,
    ...m,
  };
}

async function setup() {
  const server = new FakeServer();
  const b = browser(server);
  const tab1 = await b.tab();
  const tab2 = await b.tab();
  const bob = ReferenceDevice.create(BOB, { preKeyCount: 5 });
  server.addReference(bob);
  return { server, b, tab1, tab2, bob };
}

test('start: announces the bundle of a new device; a reload announces null; prekeys are topped up', async () => {
  const server = new FakeServer();
  const b = browser(server, ALICE, 5);
  const tab = await b.tab();
  const first = server.calls.filter((c) => c.name === 'omemoAnnounce');
  assert.equal(first.length, 1);
  assert.match(String((first[0]!.payload as { bundle: string }).bundle), /^<bundle xmlns="eu.siacs.conversations.axolotl">/);
  assert.deepEqual(tab.accountDevices, [tab.deviceId]);
  assert.equal(server.bundleOf(ALICE, tab.deviceId).preKeys.length, 100, 'fewer than 20 prekeys: topped up to 100 before the first announce');
  tab.close();
  const again = await b.tab(tab.storage);
  assert.equal(again.deviceId, tab.deviceId);
  assert.equal(again.origin, 'previous');
  const second = server.calls.filter((c) => c.name === 'omemoAnnounce');
  assert.equal(second.length, 2);
  assert.equal((second[1]!.payload as { bundle: string | null }).bundle, null, 'unchanged bundle is not republished');
});

test('Bob (libsignal) -> Alice: both tabs decrypt; replays and concurrent calls read one decryption', async () => {
  const { server, tab1, tab2, bob } = await setup();
  const enc = await bob.encrypt('hi Alice, both tabs', [tab1, tab2].map((t) => ({ jid: ALICE, deviceId: t.deviceId, bundle: server.bundleOf(ALICE, t.deviceId) })));
  const m = dto(server, { peer: BOB, direction: 'in', encrypted: enc.toString() });
  const [r1, r1again] = await Promise.all([tab1.decryptMessage(m), tab1.decryptMessage(m)]);
  assert.deepEqual(r1, { status: 'ok', text: 'hi Alice, both tabs', trust: 'unverified', senderDeviceId: bob.deviceId, fromCache: false });
  assert.deepEqual(r1again, r1, 'a concurrent call shares the one decryption');
  // Tab 2 finds the text in the browser's cache (tab 1 decrypted it), or decrypts itself: either way the same text.
  const r2 = await tab2.decryptMessage(m);
  assert.equal(r2.status === 'ok' && r2.text, 'hi Alice, both tabs');
  const replay = await tab1.decryptMessage(m);
  assert.equal(replay.status === 'ok' && replay.fromCache, true);

  // Message ids differ from the Signal message: a second copy under another id is a duplicate for the device.
  const copy = await tab1.decryptMessage({ ...m, id: server.messageId() });
  assert.equal(copy.status, 'duplicate');
  assert.match((copy as { message: string }).message, /already decrypted/);
});

test('plaintext cache: a tab reads what another tab of the same browser decrypted', async () => {
  const { server, tab1, tab2, bob } = await setup();
  const enc = await bob.encrypt('only for tab 1', [{ jid: ALICE, deviceId: tab1.deviceId, bundle: server.bundleOf(ALICE, tab1.deviceId) }]);
  const m = dto(server, { peer: BOB, direction: 'in', encrypted: enc.toString() });
  assert.equal((await tab2.decryptMessage(m)).status, 'not-for-this-device', 'before tab 1 decrypted it');
  assert.equal((await tab1.decryptMessage(m)).status, 'ok');
  const viaCache = await tab2.decryptMessage(m);
  assert.deepEqual(viaCache, { status: 'ok', text: 'only for tab 1', trust: 'unverified', senderDeviceId: bob.deviceId, fromCache: true });
});

test('Alice tab 1 -> Bob: Bob and tab 2 decrypt, never tab 1 own device; tab 1 shows its text in both ack orders', async () => {
  const { server, tab1, tab2, bob } = await setup();
  // Order 1: the 'message' event arrives before the ack.
  const originA = randomUUID();
  const out = await tab1.encryptFor(BOB, 'hello Bob', { originId: originA });
  const rids = parseEncrypted(parseXml(out.encrypted)).keys.map((k) => k.rid).sort();
  assert.deepEqual(rids, [bob.deviceId, tab2.deviceId].sort(), 'Bob + own other tab, not the sending device');
  assert.deepEqual(out.perDevice.filter((p) => p.ok).length, 2);
  assert.equal(await bob.decrypt(parseXml(out.encrypted), ALICE), 'hello Bob');
  const m = dto(server, { peer: BOB, direction: 'out', encrypted: out.encrypted, originId: originA });
  assert.deepEqual(await tab1.decryptMessage(m), { status: 'ok', text: 'hello Bob', trust: 'own', senderDeviceId: tab1.deviceId, fromCache: true });
  await tab1.bindSent(originA, m.id);
  assert.equal((await tab1.decryptMessage(m)).status, 'ok');
  const copy = await tab2.decryptMessage(m);
  assert.equal(copy.status === 'ok' && copy.text, 'hello Bob');

  // Order 2: the ack (bindSent) first, then the event.
  const originB = randomUUID();
  const out2 = await tab1.encryptFor(BOB, 'second', { originId: originB });
  const m2 = dto(server, { peer: BOB, direction: 'out', encrypted: out2.encrypted, originId: originB });
  await tab1.bindSent(originB, m2.id);
  const r = await tab1.decryptMessage(m2);
  assert.equal(r.status === 'ok' && r.text, 'second');
  assert.equal(await bob.decrypt(parseXml(out2.encrypted), ALICE), 'second');

  // Without rememberSent (e.g. storage cleared) the tab says so instead of failing.
  const out3 = await tab1.encryptFor(BOB, 'forgotten');
  const lost = await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'out', encrypted: out3.encrypted, originId: randomUUID() }));
  assert.equal(lost.status, 'sent-text-lost');

  // Bob replies to both tabs (sessions exist now: no bundles needed); follow-ups work both ways.
  const reply = await bob.encrypt('reply', [{ jid: ALICE, deviceId: tab1.deviceId }, { jid: ALICE, deviceId: tab2.deviceId, bundle: server.bundleOf(ALICE, tab2.deviceId) }]);
  const rm = dto(server, { peer: BOB, direction: 'in', encrypted: reply.toString() });
  assert.equal((await tab1.decryptMessage(rm)).status, 'ok');
  const after = await tab1.encryptFor(BOB, 'after reply');
  assert.equal(parseEncrypted(parseXml(after.encrypted)).keys.find((k) => k.rid === bob.deviceId)?.prekey, false);
  assert.equal(await bob.decrypt(parseXml(after.encrypted), ALICE), 'after reply');
});

test('encryptFor fails clearly when the contact has no device, or none that can be encrypted to', async () => {
  const { server, tab1, bob } = await setup();
  await assert.rejects(tab1.encryptFor('carol@example.org', 'x'), (e: unknown) => e instanceof OmemoEncryptError && /has no OMEMO devices/.test(e.message));
  server.bundles.delete(`${BOB}:${bob.deviceId}`);
  await assert.rejects(tab1.encryptFor(BOB, 'x'), (e: unknown) => e instanceof OmemoEncryptError && /no published bundle/.test(e.message));
  assert.equal(await tab1.isAvailable(BOB), true);
  assert.equal(await tab1.isAvailable('carol@example.org'), false);
});

test('decrypt failures are states, never exceptions: garbage, no key for this device, not OMEMO', async () => {
  const { server, tab1 } = await setup();
  const bad = await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'in', encrypted: '<encrypted' }));
  assert.equal(bad.status, 'malformed');
  const wrongNs = await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'in', encrypted: '<encrypted xmlns="urn:xmpp:omemo:2"/>' }));
  assert.equal(wrongNs.status, 'malformed');
  const other = ReferenceDevice.create(BOB, { preKeyCount: 2 });
  const elsewhere = ReferenceDevice.create(ALICE, { preKeyCount: 2 });
  const enc = await other.encrypt('for another device only', [{ jid: ALICE, deviceId: elsewhere.deviceId, bundle: elsewhere.bundle() }]);
  const nf = await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'in', encrypted: enc.toString() }));
  assert.equal(nf.status, 'not-for-this-device');
  assert.match((nf as { message: string }).message, /not encrypted for this tab/);
  assert.deepEqual(await tab1.decryptMessage({ ...dto(server, { peer: BOB, direction: 'in', encrypted: '' }), encrypted: null, body: 'plain' }), { status: 'plain', text: 'plain' });
});

test('trust: devicesOf lists fingerprints and flags; setTrust is reflected in decryption and onChange', async () => {
  const { server, tab1, tab2, bob } = await setup();
  const changes: OmemoChange[] = [];
  tab1.onChange((c) => changes.push(c));
  const bobs = await tab1.devicesOf(BOB);
  assert.equal(bobs.length, 1);
  assert.equal(bobs[0]!.fingerprint!.replace(/ /g, ''), fingerprint(bob.identityKey));
  assert.match(bobs[0]!.fingerprint!, /^([0-9a-f]{8} ){7}[0-9a-f]{8}$/);
  assert.deepEqual({ ...bobs[0], fingerprint: undefined }, { deviceId: bob.deviceId, fingerprint: undefined, trust: 'unverified', isOwn: false, isThisTab: false, isThisBrowser: false, warning: null });
  const own = await tab1.devicesOf(ALICE);
  assert.deepEqual(own.map((d) => [d.deviceId, d.isThisTab, d.isThisBrowser]).sort(), [[tab1.deviceId, true, true], [tab2.deviceId, false, true]].sort());
  assert.equal(own.find((d) => d.isThisTab)!.fingerprint, tab1.ownFingerprint());

  await tab1.setTrust(BOB, bob.deviceId, 'verified');
  assert.deepEqual(changes.at(-1), { kind: 'trust', jid: BOB, deviceId: bob.deviceId, trust: 'verified' });
  const enc = await bob.encrypt('verified now', [{ jid: ALICE, deviceId: tab1.deviceId, bundle: server.bundleOf(ALICE, tab1.deviceId) }]);
  const r = await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'in', encrypted: enc.toString() }));
  assert.equal(r.status === 'ok' && r.trust, 'verified');
  // Trust is per account, shared by the tabs of the browser.
  assert.equal((await tab2.devicesOf(BOB))[0]!.trust, 'verified');

  // QR code in Conversations' format.
  const qr = parseFingerprintUri(tab1.qrUri());
  assert.deepEqual(qr, { jid: ALICE, devices: [{ deviceId: tab1.deviceId, fingerprint: tab1.ownFingerprint().replace(/ /g, '') }] });

  // Compromised: never encrypted to again.
  await tab1.setTrust(BOB, bob.deviceId, 'compromised');
  await assert.rejects(tab1.encryptFor(BOB, 'x'), /device marked compromised/);
});

test('verifyFromUri: a matching code verifies the device; a wrong fingerprint, another JID or garbage changes nothing', async () => {
  const { tab1, tab2, bob } = await setup();
  const fp = fingerprint(bob.identityKey);
  const wrong = fp.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await assert.rejects(tab1.verifyFromUri(BOB, 'https://example.org/not-xmpp'), /not an XMPP verification code/);
  await assert.rejects(tab1.verifyFromUri(BOB, `xmpp:mallory@example.org?omemo-sid-${bob.deviceId}=${fp}`), /belongs to mallory@example.org/);
  await assert.rejects(tab1.verifyFromUri(BOB, `xmpp:${BOB}`), /no OMEMO fingerprint/);

  const mismatch = await tab1.verifyFromUri(BOB, `xmpp:${BOB}?omemo-sid-${bob.deviceId}=${wrong};omemo-sid-424242=${fp}`);
  assert.deepEqual(mismatch, { verified: [], mismatched: [bob.deviceId], unknown: [424242] });
  assert.equal((await tab1.devicesOf(BOB))[0]!.trust, 'unverified');

  const ok = await tab1.verifyFromUri(BOB, `xmpp:${BOB.toUpperCase()}?omemo-sid-${bob.deviceId}=${fp.toUpperCase()}`);
  assert.deepEqual(ok, { verified: [bob.deviceId], mismatched: [], unknown: [] });
  assert.equal((await tab2.devicesOf(BOB))[0]!.trust, 'verified');

  // Our own other tab, from the code it shows; the tab's own device is never "verified" by itself.
  const own = await tab1.verifyFromUri(ALICE, `${tab2.qrUri()};omemo-sid-${tab1.deviceId}=${tab1.ownFingerprint().replace(/ /g, '')}`);
  assert.deepEqual(own, { verified: [tab2.deviceId], mismatched: [], unknown: [] });
});

test('a changed identity key for a known device is refused and shown as a warning until accepted', async () => {
  const { server, tab1, bob } = await setup();
  const first = await bob.encrypt('hello', [{ jid: ALICE, deviceId: tab1.deviceId, bundle: server.bundleOf(ALICE, tab1.deviceId) }]);
  assert.equal((await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'in', encrypted: first.toString() }))).status, 'ok');
  // Bob's device id comes back with another identity (reinstall, or someone republishing his bundle).
  const impostor = ReferenceDevice.create(BOB, { preKeyCount: 5, deviceId: bob.deviceId });
  server.bundles.set(`${BOB}:${bob.deviceId}`, impostor.bundleElement().toString());
  const changes: OmemoChange[] = [];
  tab1.onChange((c) => changes.push(c));
  const forged = await impostor.encrypt('trust me', [{ jid: ALICE, deviceId: tab1.deviceId, bundle: server.bundleOf(ALICE, tab1.deviceId) }]);
  const r = await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'in', encrypted: forged.toString() }));
  assert.equal(r.status, 'untrusted');
  assert.equal(changes[0]?.kind, 'warning');
  const dev = (await tab1.devicesOf(BOB))[0]!;
  assert.match(dev.warning ?? '', /different key/);
  assert.equal(dev.fingerprint!.replace(/ /g, ''), fingerprint(bob.identityKey), 'the fingerprint shown is the one we know');

  await tab1.acceptIdentityChange(BOB, bob.deviceId);
  assert.equal((await tab1.devicesOf(BOB))[0]!.warning, null);
  const next = await impostor.encrypt('new key accepted', [{ jid: ALICE, deviceId: tab1.deviceId }]);
  const ok = await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'in', encrypted: next.toString() }));
  assert.equal(ok.status === 'ok' && ok.text, 'new key accepted');
});

test('revoke: an idle device of this browser is dropped, never encrypted to, never adopted; a live revoked tab learns it', async () => {
  const server = new FakeServer();
  const b = browser(server);
  const tab1 = await b.tab();
  const tab2 = await b.tab();
  const tab3 = await b.tab();
  const bob = ReferenceDevice.create(BOB, { preKeyCount: 5 });
  server.addReference(bob);
  await assert.rejects(tab1.revokeOwnDevice(tab1.deviceId), /cannot revoke its own device/);

  const idle = tab2.deviceId;
  tab2.close();
  const devices = await tab1.revokeOwnDevice(idle);
  assert.deepEqual(devices.sort(), [tab1.deviceId, tab3.deviceId].sort());
  const out = await tab1.encryptFor(BOB, 'not to the revoked one');
  assert.ok(!parseEncrypted(parseXml(out.encrypted)).keys.some((k) => k.rid === idle));
  // Even with the revoked device's id in a (stale) list, it gets no key.
  server.lists.set(ALICE, [tab1.deviceId, tab3.deviceId, idle]);
  const out2 = await tab1.encryptFor(BOB, 'stale list');
  assert.ok(!parseEncrypted(parseXml(out2.encrypted)).keys.some((k) => k.rid === idle));
  assert.ok(out2.perDevice.some((p) => p.deviceId === idle && !p.ok));
  server.lists.set(ALICE, [tab1.deviceId, tab3.deviceId]);
  // The tab that used it reloads: it gets another device.
  const reloaded = await b.tab(tab2.storage);
  assert.notEqual(reloaded.deviceId, idle);

  // Revoking a device held by a live tab: that tab finds itself missing from the list and learns it was revoked.
  const changes: OmemoChange[] = [];
  tab3.onChange((c) => changes.push(c));
  const after = await tab1.revokeOwnDevice(tab3.deviceId);
  tab3.handleDevicesEvent({ jid: ALICE, devices: after });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(tab3.revoked, true);
  assert.ok(changes.some((c) => c.kind === 'revoked' && c.thisTab));

  // A tab missing from the list for another reason (list overwritten by another client) adds itself back.
  server.lists.set(ALICE, [tab1.deviceId]);
  tab1.handleDevicesEvent({ jid: ALICE, devices: [tab1.deviceId] });
  reloaded.handleDevicesEvent({ jid: ALICE, devices: [tab1.deviceId] });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(reloaded.revoked, false);
  assert.ok(server.lists.get(ALICE)!.includes(reloaded.deviceId));
});

test('decrypting a PreKey message republishes the bundle without the used prekey', async () => {
  const { server, tab1, bob } = await setup();
  const before = server.bundleOf(ALICE, tab1.deviceId).preKeys.length;
  const enc = await bob.encrypt('uses a prekey', [{ jid: ALICE, deviceId: tab1.deviceId, bundle: server.bundleOf(ALICE, tab1.deviceId) }]);
  assert.equal((await tab1.decryptMessage(dto(server, { peer: BOB, direction: 'in', encrypted: enc.toString() }))).status, 'ok');
  await tab1.refreshBundle();
  assert.equal(server.bundleOf(ALICE, tab1.deviceId).preKeys.length, before - 1);
});

test('a new session is built from the contact\'s current bundle, not a cached copy whose prekeys are used up', async () => {
  const { server, tab1, tab2, bob } = await setup();
  // Tab 2 looked at Bob's devices (the trust list): the server now holds a copy of Bob's bundle.
  assert.ok((await tab2.devicesOf(BOB))[0]?.fingerprint);
  // Bob's prekeys get used (by other contacts) and replaced; he republishes his bundle.
  bob.replacePreKeys();
  server.bundles.set(`${BOB}:${bob.deviceId}`, bob.bundleElement().toString());
  const out = await tab1.encryptFor(BOB, 'first message to Bob');
  assert.equal(await bob.decrypt(parseXml(out.encrypted), ALICE), 'first message to Bob');
});

test('encryptFor names the contact\'s devices whose keys could not be fetched; a device without a bundle is not one', async () => {
  const { server, tab1, bob } = await setup();
  const bobPhone = ReferenceDevice.create(BOB, { preKeyCount: 5 });
  server.addReference(bobPhone);
  server.refused.add(`${BOB}:${bobPhone.deviceId}`);
  const dead = 424242;
  server.lists.set(BOB, [...server.lists.get(BOB)!, dead]);
  const out = await tab1.encryptFor(BOB, 'to the devices I can reach');
  assert.equal(await bob.decrypt(parseXml(out.encrypted), ALICE), 'to the devices I can reach');
  assert.deepEqual(out.unreachable.map((p) => p.deviceId), [bobPhone.deviceId]);
  assert.match(out.unreachable[0]!.error ?? '', /contacts only/);
  assert.equal(out.perDevice.find((p) => p.deviceId === dead)?.ok, false, 'the dead device is skipped quietly');
});

test('a failed announce (server unreachable) releases the device: the retry gets the same one', async () => {
  const server = new FakeServer();
  const dbName = `omemo-service-${process.pid}-${n++}`;
  const locks = new MemoryLocks();
  const storage = new MemoryStorage();
  const ok = server.commandFor(ALICE);
  const failing = ((name: string, payload: never) => (name === 'omemoAnnounce' ? Promise.reject(new Error('offline')) : ok(name as 'omemoDevices', payload))) as CommandFn;
  await assert.rejects(OmemoService.start({ account: ALICE, command: failing, locks, storage, dbName, preKeyCount: 25 }), /offline/);
  await new Promise((r) => setImmediate(r));
  const svc = await OmemoService.start({ account: ALICE, command: ok, locks, storage, dbName, preKeyCount: 25 });
  services.push(svc);
  assert.equal(svc.origin, 'previous');
  assert.deepEqual(server.lists.get(ALICE), [svc.deviceId]);
  assert.ok(server.bundles.has(`${ALICE}:${svc.deviceId}`), 'the bundle is published on the retry (never announced before)');
});
