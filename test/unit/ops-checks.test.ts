/** Doctor checks against tiny local servers: an XMPP stream header, a web server, a silent port, socket.io with and without upgrades. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { Server as SocketServer } from 'socket.io';
import { checkXmppDomain, locateXmpp, probeXmppStream, readStreamStart, xmppDomainsToCheck } from '../../server/ops/check-xmpp.js';
import { checkHttpClock, checkWebsocketUpgrade, probePublicUrl } from '../../server/ops/check-http.js';
import { formatResults, guarded, pass, fail } from '../../server/ops/check.js';
import { freePort } from '../harness/ports.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

async function listen(server: net.Server | http.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return (server.address() as net.AddressInfo).port;
}

const STREAM_HEADER = (from: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x1' from='${from}' version='1.0'>`;

/** Answers the client's stream header like an XMPP server would, features in a second chunk. */
function xmppServer(opts: { starttls: boolean; domain?: string }): net.Server {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (data) => {
      const to = /to='([^']+)'/.exec(String(data))?.[1] ?? '?';
      if (opts.domain && to !== opts.domain) {
        socket.end(`${STREAM_HEADER(opts.domain)}<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`);
        return;
      }
      socket.write(STREAM_HEADER(to));
      setTimeout(() => socket.write(`<stream:features>${opts.starttls ? "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" : ''}<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`), 20);
    });
  });
  return server;
}

test('readStreamStart waits for the features, then reads STARTTLS and from', () => {
  assert.equal(readStreamStart(STREAM_HEADER('example.org'), 'h:1', 'example.org'), null);
  const done = readStreamStart(`${STREAM_HEADER('example.org')}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>`, 'h:1', 'example.org');
  assert.deepEqual(done, { ok: true, starttls: true, from: 'example.org' });
  const http = readStreamStart('HTTP/1.1 400 Bad Request\r\n', 'h:1', 'example.org');
  assert.equal(http?.ok, false);
  assert.match((http as { problem: string }).problem, /web server/);
  const tls = readStreamStart('\x15\x03\x01\x00\x02\x02\x46', 'h:1', 'example.org');
  assert.match((tls as { problem: string }).problem, /direct TLS/);
});

test('an XMPP server with STARTTLS passes, and says where it was found', async () => {
  const port = await listen(xmppServer({ starttls: true }));
  const r = await checkXmppDomain('example.org', { service: `xmpp://127.0.0.1:${port}`, timeoutMs: 2000 });
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, new RegExp(`127\\.0\\.0\\.1:${port} \\(PARLEY_XMPP_SERVICES\\) answers as XMPP for example\\.org, STARTTLS offered`));
});

test('the SRV answer decides where to connect', async () => {
  const port = await listen(xmppServer({ starttls: true }));
  const asked: string[] = [];
  const resolver = {
    resolveSrv: async (name: string) => {
      asked.push(name);
      return [
        { name: '127.0.0.1', port: await freePort(), priority: 20, weight: 0 },
        { name: '127.0.0.1', port, priority: 10, weight: 0 },
      ];
    },
  };
  const located = await locateXmpp('srv.example', { resolver });
  assert.deepEqual(asked, ['_xmpp-client._tcp.srv.example']);
  assert.ok(!('ok' in located));
  assert.deepEqual(located.endpoints.map((e) => e.port), [port, located.endpoints[1]!.port]);
  // Found through DNS, a loopback target is one Parley will not connect to (issue 13): the doctor says how to name it.
  const r = await checkXmppDomain('srv.example', { resolver, timeoutMs: 2000 });
  assert.equal(r.ok, false, r.detail);
  assert.match(r.detail, /127\.0\.0\.1 \(SRV\) is 127\.0\.0\.1, a loopback or private address/);
  assert.match(r.fix ?? '', /PARLEY_XMPP_SERVICES=srv\.example=xmpp:\/\/127\.0\.0\.1:/);
});

test('without SRV records the domain itself on 5222 is used; a "." target means no service', async () => {
  const nodata = { resolveSrv: async () => Promise.reject(Object.assign(new Error('queryNoData'), { code: 'ENODATA' })) };
  const located = await locateXmpp('plain.example', { resolver: nodata });
  assert.deepEqual(located, { endpoints: [{ host: 'plain.example', port: 5222 }], how: 'no SRV record, so the domain itself' });
  const none = await locateXmpp('none.example', { resolver: { resolveSrv: async () => [{ name: '.', port: 0, priority: 0, weight: 0 }] } });
  assert.equal('ok' in none && none.ok, false);
});

test('a server that does not serve the domain is reported as host-unknown', async () => {
  const port = await listen(xmppServer({ starttls: true, domain: 'other.example' }));
  const r = await checkXmppDomain('example.org', { service: `xmpp://127.0.0.1:${port}`, timeoutMs: 2000 });
  assert.equal(r.ok, false);
  assert.match(r.detail, /does not serve example\.org \(host-unknown\)/);
  assert.match(r.fix!, /VirtualHost/);
});

test('no STARTTLS fails when TLS is required, passes on loopback by default', async () => {
  const port = await listen(xmppServer({ starttls: false }));
  const strict = await checkXmppDomain('example.org', { service: `xmpp://127.0.0.1:${port}`, requireTls: true, timeoutMs: 2000 });
  assert.equal(strict.ok, false);
  assert.match(strict.fix!, /PARLEY_XMPP_REQUIRE_TLS/);
  const loopback = await checkXmppDomain('example.org', { service: `xmpp://127.0.0.1:${port}`, timeoutMs: 2000 });
  assert.equal(loopback.ok, true, loopback.detail);
  assert.match(loopback.detail, /no STARTTLS/);
});

test('a web server, a closed port and a silent port each get their own message', async () => {
  const web = http.createServer((_req, res) => res.end('hello'));
  const webPort = await listen(web);
  const r1 = await probeXmppStream({ host: '127.0.0.1', port: webPort }, 'example.org', 2000);
  assert.equal(r1.ok, false);
  assert.match((r1 as { problem: string }).problem, /web server/);

  const closed = await freePort();
  const r2 = await probeXmppStream({ host: '127.0.0.1', port: closed }, 'example.org', 2000);
  assert.match((r2 as { problem: string }).problem, /ECONNREFUSED/);
  assert.match((r2 as { fix: string }).fix, /nothing listens/);

  const silent = net.createServer((s) => s.on('error', () => undefined));
  const silentPort = await listen(silent);
  const started = Date.now();
  const r3 = await probeXmppStream({ host: '127.0.0.1', port: silentPort }, 'example.org', 300);
  assert.match((r3 as { problem: string }).problem, /no answer within 300 ms/);
  assert.ok(Date.now() - started < 2000);
});

test('xmppDomainsToCheck: default domain and listed domains, never *', () => {
  assert.deepEqual(xmppDomainsToCheck({ defaultDomain: 'a.example', allowedDomains: ['b.example', 'a.example'] }), ['a.example', 'b.example']);
  assert.deepEqual(xmppDomainsToCheck({ defaultDomain: null, allowedDomains: '*' }), []);
});

test('public URL: Parley\'s /healthz passes; a 502, a redirect and a closed port fail with a fix', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    res.writeHead(404).end();
  });
  const good = await probePublicUrl(new URL(`http://127.0.0.1:${await listen(server)}/`), 2000);
  assert.equal(good.result.ok, true, good.result.detail);
  assert.ok(good.clock?.dateHeader);
  assert.equal(checkHttpClock(good.clock).ok, true);

  const gateway = http.createServer((_req, res) => res.writeHead(502).end('Bad Gateway'));
  const bad = await probePublicUrl(new URL(`http://127.0.0.1:${await listen(gateway)}/`), 2000);
  assert.equal(bad.result.ok, false);
  assert.match(bad.result.detail, /proxy answered 502/);

  const redirect = http.createServer((_req, res) => res.writeHead(301, { location: 'https://chat.example.org/healthz' }).end());
  const moved = await probePublicUrl(new URL(`http://127.0.0.1:${await listen(redirect)}/`), 2000);
  assert.match(moved.result.fix!, /PARLEY_PUBLIC_URL.*https:\/\/chat\.example\.org/);

  const refused = await probePublicUrl(new URL(`http://127.0.0.1:${await freePort()}/`), 2000);
  assert.equal(refused.result.ok, false);
  assert.match(refused.result.fix!, /nothing listens/);
  assert.equal(checkHttpClock(refused.clock).ok, false);
});

test('clock skew from a Date header: within tolerance passes, a minute off fails', () => {
  const now = Date.now();
  const at = (offsetMs: number) => ({ localMs: now, dateHeader: new Date(now + offsetMs).toUTCString() });
  assert.equal(checkHttpClock(at(1500)).ok, true);
  const off = checkHttpClock(at(-60_000));
  assert.equal(off.ok, false);
  assert.match(off.detail, /-59\.\d s|-60\.\d s/);
  assert.match(off.fix!, /NTP/);
});

test('websocket: a socket.io server that answers logout passes', async () => {
  const server = http.createServer();
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;
  const io = new SocketServer(server, { allowRequest: (req, cb) => cb(null, req.headers.origin === origin) });
  closers.push(async () => void io.close());
  io.on('connection', (socket) => {
    socket.emit('logout', { reason: 'not-logged-in' });
    socket.disconnect(true);
  });
  const r = await checkWebsocketUpgrade(new URL(origin), 3000);
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, /not-logged-in/);
});

test('websocket: a proxy that drops the upgrade (socket.io sees a plain GET: 400) fails and names the headers', async () => {
  // What engine.io answers to transport=websocket without an Upgrade header.
  const server = http.createServer((_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":3,"message":"Bad request"}'));
  const port = await listen(server);
  const r = await checkWebsocketUpgrade(new URL(`http://127.0.0.1:${port}`), 3000);
  assert.equal(r.ok, false);
  assert.match(r.detail, /does not pass WebSocket upgrades/);
  assert.match(r.fix!, /Upgrade \$http_upgrade/);
  assert.match(r.fix!, /docs\/deploy\/nginx\.conf/);
});

test('websocket: a wrong Origin (403), a missing route (404) and silence each get their message', async () => {
  const server = http.createServer();
  const port = await listen(server);
  const io = new SocketServer(server, { allowRequest: (_req, cb) => cb(null, false) });
  closers.push(async () => void io.close());
  const forbidden = await checkWebsocketUpgrade(new URL(`http://127.0.0.1:${port}`), 3000);
  assert.equal(forbidden.ok, false);
  assert.match(forbidden.fix!, /PARLEY_PUBLIC_URL/);

  const notFound = http.createServer((_req, res) => res.writeHead(404).end());
  const r404 = await checkWebsocketUpgrade(new URL(`http://127.0.0.1:${await listen(notFound)}`), 3000);
  assert.match(r404.detail, /not found/);

  // Accepts the upgrade request but never answers it.
  const silent = net.createServer((s) => s.on('error', () => undefined));
  const r = await checkWebsocketUpgrade(new URL(`http://127.0.0.1:${await listen(silent)}`), 400);
  assert.equal(r.ok, false);
  assert.match(r.detail, /no socket\.io answer/);
});

test('formatResults: one line per check, a fix line under each FAIL, a summary', async () => {
  const crashed = await guarded('boom', async () => {
    throw new Error('kaput');
  });
  const text = formatResults([pass('database', 'answered'), fail('websocket', 'refused', 'add the headers'), ...crashed]);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^OK    database +answered$/);
  assert.match(lines[1]!, /^FAIL  websocket +refused$/);
  assert.match(lines[2]!, /^ +fix: add the headers$/);
  assert.match(lines[3]!, /^FAIL  boom +the check itself failed: kaput$/);
  assert.equal(lines.at(-1), '2 of 3 checks failed.');
});
