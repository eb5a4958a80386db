import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBundle, buildDeviceList, buildEncrypted, parseBundle, parseDeviceList, parseEncrypted, parseXml } from '../../client/omemo/codec.js';
import { fingerprint, fingerprintUri, formatFingerprint, parseFingerprintUri } from '../../client/omemo/fingerprint.js';
import { OmemoFormatError } from '../../client/omemo/types.js';

const K1 = 'BRERERERERERERERERERERERERERERERERERERERERER'; // 0x05 ‖ 32 × 0x11
const K2 = 'BSIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIi';
const K3 = 'BTMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMz';
const SIG = 'RERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERERA==';

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

test('parses a literal Conversations-style <encrypted> element (wrapped base64, prekey flag, 12-byte iv)', () => {
  const parsed = parseEncrypted(parseXml(`<encrypted xmlns='eu.siacs.conversations.axolotl'>
    <header sid='27183'>
      <key rid='31415' prekey='true'>YWJj</key>
      <key rid='12321'>YW
        Jj</key>
      <iv>AAECAwQF
          BgcICQoL</iv>
    </header>
    <payload>YWJj</payload>
  </encrypted>`));
  assert.equal(parsed.sid, 27183);
  assert.deepEqual(parsed.keys.map((k) => [k.rid, k.prekey, b64(k.data)]), [[31415, true, 'YWJj'], [12321, false, 'YWJj']]);
  assert.equal(b64(parsed.iv), 'AAECAwQFBgcICQoL');
  assert.equal(b64(parsed.payload!), 'YWJj');
});

test('builds <encrypted> that round-trips and omits prekey on WhisperMessages; KeyTransportElement has no payload', () => {
  const data = { sid: 7, keys: [{ rid: 8, prekey: true, data: new Uint8Array([1, 2]) }, { rid: 9, prekey: false, data: new Uint8Array([3]) }], iv: new Uint8Array(12) };
  const xml = buildEncrypted({ ...data, payload: new Uint8Array([4, 5]) }).toString();
  assert.equal(xml, `<encrypted xmlns="eu.siacs.conversations.axolotl"><header sid="7"><key rid="8" prekey="true">AQI=</key><key rid="9">Aw==</key><iv>AAAAAAAAAAAAAAAA</iv></header><payload>BAU=</payload></encrypted>`);
  assert.deepEqual(parseEncrypted(parseXml(xml)), { ...data, payload: new Uint8Array([4, 5]) });
  const kt = buildEncrypted(data);
  assert.equal(kt.getChild('payload'), undefined);
  assert.equal(parseEncrypted(kt).payload, undefined);
});

test('rejects malformed <encrypted> with OmemoFormatError', () => {
  const bad = [
    `<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'><iv>AAECAwQFBgcICQoL</iv></header></encrypted>`,
    `<encrypted xmlns='eu.siacs.conversations.axolotl'/>`,
    `<encrypted xmlns='eu.siacs.conversations.axolotl'><header><iv>AAECAwQFBgcICQoL</iv></header></encrypted>`,
    `<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='0'><iv>AAECAwQFBgcICQoL</iv></header></encrypted>`,
    `<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='x'>YWJj</key><iv>AAECAwQFBgcICQoL</iv></header></encrypted>`,
    `<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>!!!</key><iv>AAECAwQFBgcICQoL</iv></header></encrypted>`,
    `<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>YWJj</key></header></encrypted>`,
    `<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>YWJj</key><iv>YWJj</iv></header></encrypted>`,
    `<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='4294967296'><iv>AAECAwQFBgcICQoL</iv></header></encrypted>`,
  ];
  for (const x of bad) assert.throws(() => parseEncrypted(parseXml(x)), OmemoFormatError, x);
  assert.throws(() => parseEncrypted('not an element'), OmemoFormatError);
  assert.throws(() => parseXml('<encrypted'), OmemoFormatError);
});

test('parses a literal bundle and builds it back', () => {
  const literal = `<bundle xmlns='eu.siacs.conversations.axolotl'>
    <signedPreKeyPublic signedPreKeyId='1'>${K1}</signedPreKeyPublic>
    <signedPreKeySignature>${SIG.slice(0, 40)}
      ${SIG.slice(40)}</signedPreKeySignature>
    <identityKey>${K2}</identityKey>
    <prekeys><preKeyPublic preKeyId='1'>${K3}</preKeyPublic><preKeyPublic preKeyId='77'>${K1}</preKeyPublic></prekeys>
  </bundle>`;
  const b = parseBundle(parseXml(literal), 4242);
  assert.equal(b.deviceId, 4242);
  assert.equal(b64(b.identityKey), K2);
  assert.deepEqual([b.signedPreKey.id, b64(b.signedPreKey.publicKey), b64(b.signedPreKey.signature)], [1, K1, SIG]);
  assert.deepEqual(b.preKeys.map((k) => [k.id, b64(k.publicKey)]), [[1, K3], [77, K1]]);
  assert.equal(buildBundle(b).toString(),
    `<bundle xmlns="eu.siacs.conversations.axolotl"><signedPreKeyPublic signedPreKeyId="1">${K1}</signedPreKeyPublic>` +
    `<signedPreKeySignature>${SIG}</signedPreKeySignature><identityKey>${K2}</identityKey>` +
    `<prekeys><preKeyPublic preKeyId="1">${K3}</preKeyPublic><preKeyPublic preKeyId="77">${K1}</preKeyPublic></prekeys></bundle>`);
});

test('rejects malformed bundles with OmemoFormatError', () => {
  const mk = (ik: string, spk = K1, sig = SIG, extra = '') => parseXml(`<bundle xmlns='eu.siacs.conversations.axolotl'><signedPreKeyPublic signedPreKeyId='1'>${spk}</signedPreKeyPublic><signedPreKeySignature>${sig}</signedPreKeySignature><identityKey>${ik}</identityKey><prekeys>${extra}</prekeys></bundle>`);
  assert.doesNotThrow(() => parseBundle(mk(K2), 1));
  assert.throws(() => parseBundle(mk(K2), 0), OmemoFormatError);
  assert.throws(() => parseBundle(mk('YWJj'), 1), OmemoFormatError); // 3-byte identity key
  assert.throws(() => parseBundle(mk(K2, K1, 'YWJj'), 1), OmemoFormatError); // short signature
  assert.throws(() => parseBundle(mk(K2, K1, SIG, `<preKeyPublic>${K3}</preKeyPublic>`), 1), OmemoFormatError); // no id
  assert.throws(() => parseBundle(mk(K2, 'AREREREREREREREREREREREREREREREREREREREREREQ='), 1), OmemoFormatError); // no 0x05 prefix
  assert.throws(() => parseBundle(parseXml(`<bundle xmlns='eu.siacs.conversations.axolotl'><identityKey>${K2}</identityKey></bundle>`), 1), OmemoFormatError);
});

test('device list round-trips; bad ids are skipped, duplicates merged', () => {
  assert.equal(buildDeviceList([1, 2147483647, 1]).toString(), `<list xmlns="eu.siacs.conversations.axolotl"><device id="1"/><device id="2147483647"/></list>`);
  const ids = parseDeviceList(parseXml(`<list xmlns='eu.siacs.conversations.axolotl'><device id='5'/><device id='0'/><device id='abc'/><device/><device id='2147483648'/><device id='5'/><device id='9'/></list>`));
  assert.deepEqual(ids, [5, 9]);
  assert.throws(() => parseDeviceList(parseXml(`<list xmlns='urn:other'/>`)), OmemoFormatError);
});

test('fingerprint is hex of the key without 0x05, shown in 8 groups of 8; URI matches Conversations', () => {
  const key = new Uint8Array([5, ...Array.from({ length: 32 }, (_, i) => i)]);
  const fp = fingerprint(key);
  assert.equal(fp, '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  assert.equal(formatFingerprint(fp), '00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f');
  const uri = fingerprintUri('romeo@example.org', [{ deviceId: 1234, fingerprint: fp }, { deviceId: 99, fingerprint: 'ab'.repeat(32) }]);
  assert.equal(uri, `xmpp:romeo@example.org?omemo-sid-1234=${fp};omemo-sid-99=${'ab'.repeat(32)}`);
  assert.deepEqual(parseFingerprintUri(uri), { jid: 'romeo@example.org', devices: [{ deviceId: 1234, fingerprint: fp }, { deviceId: 99, fingerprint: 'ab'.repeat(32) }] });
  // Upper-case hex is accepted and normalised; broken entries are dropped, not fatal.
  assert.deepEqual(parseFingerprintUri(`xmpp:a@b?omemo-sid-5=${fp.toUpperCase()};omemo-sid-0=${fp};omemo-sid-6=abc;otr-fingerprint=1`),
    { jid: 'a@b', devices: [{ deviceId: 5, fingerprint: fp }] });
  assert.equal(parseFingerprintUri('https://example.org'), null);
  assert.throws(() => fingerprint(new Uint8Array(10)));
});
