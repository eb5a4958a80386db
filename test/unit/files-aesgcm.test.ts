/**
 * XEP-0454 links and file encryption (client/files/aesgcm.ts), checked against node:crypto's AES-256-GCM as an
 * independent implementation, and the image header reader (client/files/image-header.ts) against images sharp wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { decryptFile, encryptFile, FileDecryptError, formatAesgcmUrl, isAesgcmMessage, parseAesgcmUrl, toHex } from '../../client/files/aesgcm.js';
import { imageRefusal, readImageHeader, thumbnailSize } from '../../client/files/image-header.js';

const IV = Buffer.from('000102030405060708090a0b', 'hex');
const KEY = Buffer.from('a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf', 'hex');

test('aesgcm URL: formatted as host/path#hex iv hex key, read back', () => {
  const link = formatAesgcmUrl('https://upload.example.org/share/abc/photo%20one.jpg', IV, KEY);
  assert.equal(link, `aesgcm://upload.example.org/share/abc/photo%20one.jpg#${IV.toString('hex')}${KEY.toString('hex')}`);
  const parsed = parseAesgcmUrl(link)!;
  assert.equal(parsed.httpsUrl, 'https://upload.example.org/share/abc/photo%20one.jpg');
  assert.deepEqual(Buffer.from(parsed.iv), IV);
  assert.deepEqual(Buffer.from(parsed.key), KEY);
  assert.equal(parsed.name, 'photo one.jpg');
  // a port is kept
  assert.equal(parseAesgcmUrl(formatAesgcmUrl('http://127.0.0.1:5280/f/x.bin', IV, KEY))!.httpsUrl, 'https://127.0.0.1:5280/f/x.bin');
});

test('aesgcm URL: a 16-byte IV (96 hex characters) is accepted; upper-case hex too', () => {
  const iv16 = randomBytes(16);
  const parsed = parseAesgcmUrl(`aesgcm://h.example/f.png#${iv16.toString('hex').toUpperCase()}${KEY.toString('hex')}`)!;
  assert.deepEqual(Buffer.from(parsed.iv), iv16);
  assert.deepEqual(Buffer.from(parsed.key), KEY);
});

test('aesgcm URL: bad ones are not links', () => {
  const good = `${IV.toString('hex')}${KEY.toString('hex')}`;
  for (const bad of [
    `https://h.example/f#${good}`,
    `aesgcm://h.example/f#${good.slice(2)}`, // 86 hex
    `aesgcm://h.example/f#${good}00`, // 90 hex
    `aesgcm://h.example/f#${good.slice(0, -1)}g`, // not hex
    'aesgcm://h.example/f',
    `aesgcm:///f#${good}`,
    `aesgcm://user:pw@h.example/f#${good}`,
    `aesgcm://h.example/f #${good}`,
    `aesgcm://h.example/f#${good} and some text`,
    `aesgcm://h.example/${'a'.repeat(5000)}#${good}`,
  ]) {
    assert.equal(parseAesgcmUrl(bad), null, bad);
    assert.equal(isAesgcmMessage(bad), false, bad);
  }
  assert.equal(isAesgcmMessage(`  aesgcm://h.example/f#${good}\n`), true);
  assert.throws(() => formatAesgcmUrl('ftp://h/f', IV, KEY));
  assert.throws(() => formatAesgcmUrl('https://h/f', IV, KEY.subarray(0, 16)));
});

test('encryptFile: AES-256-GCM with a 12-byte IV and the tag appended; node:crypto decrypts it', async () => {
  const plain = randomBytes(100_003);
  const { bytes, iv, key } = await encryptFile(plain);
  assert.equal(iv.length, 12);
  assert.equal(key.length, 32);
  assert.equal(bytes.length, plain.length + 16);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(bytes.subarray(bytes.length - 16));
  assert.deepEqual(Buffer.concat([d.update(bytes.subarray(0, bytes.length - 16)), d.final()]), plain);
  assert.notEqual(toHex(key), toHex((await encryptFile(plain)).key), 'a new key per file');
});

test('decryptFile: reads what node:crypto wrote (12- and 16-byte IVs); wrong key, wrong tag, short data refused', async () => {
  const plain = randomBytes(5000);
  for (const ivLen of [12, 16]) {
    const iv = randomBytes(ivLen);
    const c = createCipheriv('aes-256-gcm', KEY, iv);
    const data = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    assert.deepEqual(Buffer.from(await decryptFile(data, iv, KEY)), plain);
    const badTag = Buffer.from(data);
    badTag[badTag.length - 1]! ^= 1;
    await assert.rejects(decryptFile(badTag, iv, KEY), FileDecryptError);
    await assert.rejects(decryptFile(data, iv, randomBytes(32)), FileDecryptError);
  }
  await assert.rejects(decryptFile(randomBytes(15), IV, KEY), FileDecryptError);
  await assert.rejects(decryptFile(randomBytes(64), IV, KEY.subarray(0, 31)), FileDecryptError);
  await assert.rejects(decryptFile(randomBytes(64), IV.subarray(0, 8), KEY), FileDecryptError);
});

test('image header: dimensions of PNG, JPEG, GIF and WebP (lossy and lossless) as sharp wrote them', async () => {
  const raw = sharp({ create: { width: 37, height: 21, channels: 3, background: '#336699' } });
  const cases: [string, Buffer][] = [
    ['image/png', await raw.clone().png().toBuffer()],
    ['image/jpeg', await raw.clone().jpeg().withMetadata({ exif: { IFD0: { Copyright: 'x'.repeat(2000) } } }).toBuffer()],
    ['image/gif', await raw.clone().gif().toBuffer()],
    ['image/webp', await raw.clone().webp().toBuffer()],
    ['image/webp', await raw.clone().webp({ lossless: true }).toBuffer()],
    ['image/webp', await raw.clone().ensureAlpha().webp({ alphaQuality: 50 }).withMetadata({ exif: { IFD0: { Copyright: 'y' } } }).toBuffer()],
  ];
  for (const [type, bytes] of cases) {
    assert.deepEqual(readImageHeader(bytes), { type, width: 37, height: 21 }, type);
    assert.equal(imageRefusal(readImageHeader(bytes)), null);
  }
});

test('image header: a decompression bomb (tiny file, huge declared canvas) is refused before decoding; junk is not an image', () => {
  const png = Buffer.alloc(33);
  Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(png, 0);
  png.writeUInt32BE(100_000, 16);
  png.writeUInt32BE(100_000, 20);
  assert.deepEqual(readImageHeader(png), { type: 'image/png', width: 100_000, height: 100_000 });
  assert.equal(imageRefusal(readImageHeader(png)), 'too-many-pixels');
  png.writeUInt32BE(8000, 16);
  png.writeUInt32BE(8000, 20); // 64 MP, each side allowed
  assert.equal(imageRefusal(readImageHeader(png)), 'too-many-pixels');
  const gif = Buffer.from('GIF89a\xff\xff\xff\xff\x00\x00', 'latin1');
  assert.equal(imageRefusal(readImageHeader(gif)), 'too-many-pixels');
  // A JPEG whose SOF says 65535 x 65535.
  const jpeg = Buffer.from('ffd8ffc0001108ffffffff03012200021101031101ffd9', 'hex');
  assert.deepEqual(readImageHeader(jpeg), { type: 'image/jpeg', width: 65535, height: 65535 });
  assert.equal(imageRefusal(readImageHeader(jpeg)), 'too-many-pixels');
  for (const junk of [Buffer.from('<html>hi</html>'), Buffer.alloc(0), Buffer.from('ffd8ffda0000', 'hex'), Buffer.from('RIFF0000WEBPVP9 xxxxxxxxxxxxxxxxxxxxx')]) {
    assert.equal(imageRefusal(readImageHeader(junk)), 'not-an-image');
  }
  png.writeUInt32BE(0, 16);
  assert.equal(imageRefusal(readImageHeader(png)), 'not-an-image');
});

test('thumbnail size: fits the box, keeps the ratio, never enlarges', () => {
  assert.deepEqual(thumbnailSize(4000, 3000, 320), { width: 320, height: 240 });
  assert.deepEqual(thumbnailSize(300, 6000, 320), { width: 16, height: 320 });
  assert.deepEqual(thumbnailSize(100, 50, 320), { width: 100, height: 50 });
});
