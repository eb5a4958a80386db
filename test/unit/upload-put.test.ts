import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { putFile, PutError, isPrivateAddress } from '../../server/features/http-put.js';

interface Seen { method: string; headers: http.IncomingHttpHeaders; body: Buffer }
const seen: Seen[] = [];
let answer = 201;
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({ method: req.method!, headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(answer).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as AddressInfo).port;
after(() => server.close());

const bodyOf = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

test('private, loopback and link-local addresses are recognised (v4, v6, v4-mapped)', () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254']) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ['93.184.216.34', '172.32.0.1', '8.8.8.8', '2001:4860:4860::8888', 'example.org']) assert.equal(isPrivateAddress(a), false, a);
});

test('the file is PUT with the slot headers, its type and exact length', async () => {
  seen.length = 0;
  answer = 201;
  await putFile({ url: `http://127.0.0.1:${port}/put/1`, headers: { Authorization: 'Bearer t' }, body: bodyOf('hel', 'lo'), size: 5, type: 'text/plain', allowPrivate: true });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.method, 'PUT');
  assert.equal(seen[0]!.headers.authorization, 'Bearer t');
  assert.equal(seen[0]!.headers['content-type'], 'text/plain');
  assert.equal(seen[0]!.headers['content-length'], '5');
  assert.equal(seen[0]!.body.toString(), 'hello');
});

test('a body longer than announced is cut off; a refusal by the service is an error (413 = too large)', async () => {
  answer = 201;
  await assert.rejects(
    putFile({ url: `http://127.0.0.1:${port}/put/2`, headers: {}, body: bodyOf('hello', ' and more'), size: 5, type: 'text/plain', allowPrivate: true }),
    (err: unknown) => err instanceof PutError && err.tooLarge,
  );
  answer = 500;
  await assert.rejects(putFile({ url: `http://127.0.0.1:${port}/put/3`, headers: {}, body: bodyOf('hello'), size: 5, type: 'text/plain', allowPrivate: true }), /HTTP 500/);
  answer = 413;
  await assert.rejects(
    putFile({ url: `http://127.0.0.1:${port}/put/4`, headers: {}, body: bodyOf('hello'), size: 5, type: 'text/plain', allowPrivate: true }),
    (err: unknown) => err instanceof PutError && err.tooLarge,
  );
});

test('without allowPrivate, a slot on loopback is refused before any request, by address or by name', async () => {
  seen.length = 0;
  answer = 201;
  for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
    await assert.rejects(
      putFile({ url: `http://${host}:${port}/put/5`, headers: {}, body: bodyOf('hello'), size: 5, type: 'text/plain', allowPrivate: false }),
      /private network/,
      host,
    );
  }
  assert.equal(seen.length, 0, 'nothing reached the loopback server');
});
