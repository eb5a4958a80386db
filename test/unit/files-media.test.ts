/**
 * The tab's file fetching (client/files/media.ts) against a fake fetch: always through /media with its header,
 * the byte limit (declared and counted), the queue of 3 at once, aesgcm links decrypted whole or not at all,
 * and the per-tab cache.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { cachedLoad, fetchEncrypted, fetchShared, MediaError, videoTypeOf, looksLikeImage } from '../../client/files/media.js';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

function fakeFetch(answer: (url: string, init?: RequestInit) => Response | Promise<Response>): string[] {
  const calls: string[] = [];
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push(String(input));
    return answer(String(input), init);
  }) as typeof fetch;
  return calls;
}

test('fetchShared asks /media with the X-Parley-Media header and returns the bytes and the declared type', async () => {
  let header: string | null = null;
  const calls = fakeFetch((_u, init) => {
    header = new Headers(init?.headers).get('x-parley-media');
    return new Response(new Uint8Array([1, 2, 3]), { headers: { 'x-file-type': 'image/png' } });
  });
  const got = await fetchShared('https://files.example/a b.png');
  assert.deepEqual([...got.bytes], [1, 2, 3]);
  assert.equal(got.type, 'image/png');
  assert.deepEqual(calls, [`/media?url=${encodeURIComponent('https://files.example/a b.png')}`]);
  assert.equal(header, '1');
});

test('fetchShared: over the limit (declared, counted, or 413 from the server) is too-large; other failures unavailable', async () => {
  fakeFetch(() => new Response(new Uint8Array(10), { headers: { 'content-length': '10' } }));
  await assert.rejects(fetchShared('https://f.example/x', 9), (e: MediaError) => e.kind === 'too-large');
  fakeFetch(() => new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array(6)); c.enqueue(new Uint8Array(6)); c.close(); } })));
  await assert.rejects(fetchShared('https://f.example/x', 10), (e: MediaError) => e.kind === 'too-large');
  fakeFetch(() => new Response('no', { status: 413 }));
  await assert.rejects(fetchShared('https://f.example/x'), (e: MediaError) => e.kind === 'too-large');
  fakeFetch(() => new Response('no', { status: 502 }));
  await assert.rejects(fetchShared('https://f.example/x'), (e: MediaError) => e.kind === 'unavailable');
  fakeFetch(() => Promise.reject(new TypeError('network')));
  await assert.rejects(fetchShared('https://f.example/x'), (e: MediaError) => e.kind === 'unavailable');
});

test('fetchShared runs at most 3 at once; the rest wait their turn', async () => {
  let open = 0;
  let most = 0;
  const release: (() => void)[] = [];
  fakeFetch(async () => {
    open++;
    most = Math.max(most, open);
    await new Promise<void>((r) => release.push(r));
    open--;
    return new Response(new Uint8Array(1));
  });
  const all = Promise.all(Array.from({ length: 7 }, (_, i) => fetchShared(`https://f.example/${i}`)));
  while (release.length || open) {
    await new Promise((r) => setTimeout(r, 5));
    release.shift()?.();
  }
  assert.equal((await all).length, 7);
  assert.equal(most, 3);
});

test('fetchEncrypted: decrypts a whole file; a wrong tag or a broken link is undecryptable, never partial', async () => {
  const plain = randomBytes(1000);
  const iv = randomBytes(12);
  const key = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  const link = `aesgcm://files.example/p/photo.jpg#${iv.toString('hex')}${key.toString('hex')}`;
  const calls = fakeFetch(() => new Response(new Uint8Array(data)));
  const got = await fetchEncrypted(link);
  assert.deepEqual(Buffer.from(got.bytes), plain);
  assert.equal(got.name, 'photo.jpg');
  assert.deepEqual(calls, [`/media?url=${encodeURIComponent('https://files.example/p/photo.jpg')}`], 'the https URL of the same host and path');

  const bad = Buffer.from(data);
  bad[5]! ^= 1;
  fakeFetch(() => new Response(new Uint8Array(bad)));
  await assert.rejects(fetchEncrypted(link), (e: MediaError) => e.kind === 'undecryptable');
  const none = fakeFetch(() => new Response(new Uint8Array(data)));
  await assert.rejects(fetchEncrypted(link.slice(0, -1)), (e: MediaError) => e.kind === 'undecryptable');
  assert.equal(none.length, 0, 'a broken link is not even fetched');
});

test('cachedLoad: one load per key while cached; failures are not cached', async () => {
  let loads = 0;
  const load = async () => ({ bytes: new Uint8Array(++loads) });
  const a = await cachedLoad('k1', load);
  const b = await cachedLoad('k1', load);
  assert.equal(a, b);
  assert.equal(loads, 1);
  await assert.rejects(cachedLoad('k2', async () => { throw new Error('x'); }));
  await new Promise((r) => setTimeout(r, 0));
  assert.equal((await cachedLoad('k2', load)).bytes.length, 2);
});

test('what shows inline: pictures by type or name, videos by type or name', () => {
  assert.equal(looksLikeImage('a.JPG'), true);
  assert.equal(looksLikeImage('a.bin', 'image/webp'), true);
  assert.equal(looksLikeImage('a.svg', 'image/svg+xml'), false, 'SVG is never shown (scripts, external loads)');
  assert.equal(videoTypeOf('clip.webm'), 'video/webm');
  assert.equal(videoTypeOf('clip', 'video/mp4'), 'video/mp4');
  assert.equal(videoTypeOf('notes.txt', 'text/plain'), null);
});
