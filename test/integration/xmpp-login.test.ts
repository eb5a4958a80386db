/** Login outcomes of XmppConnection against real Prosody, and against tiny misbehaving TCP servers. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { TestProsody } from '../harness/prosody.js';
import { freePort } from '../harness/ports.js';
import { XmppConnection, XmppLoginError, type ConnectOptions } from '../../server/xmpp/connection.js';

let prosody: TestProsody;
let alice: string;
const svc = () => `xmpp://127.0.0.1:${prosody.c2sPort}`;

before(async () => {
  prosody = await TestProsody.start();
  alice = await prosody.createUser('alice', 'secret');
});
after(() => prosody.stop());

async function loginError(opts: ConnectOptions): Promise<XmppLoginError> {
  try {
    const conn = await XmppConnection.open(opts);
    await conn.stop();
  } catch (err) {
    assert.ok(err instanceof XmppLoginError, `not an XmppLoginError: ${String(err)}`);
    return err;
  }
  assert.fail('login succeeded');
}

/** A TCP server that does `onConnection` to every client. */
async function tinyServer(onConnection: (s: net.Socket) => void): Promise<{ service: string; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    onConnection(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    service: `xmpp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('login ok: bound full JID, SM enabled, SCRAM keys derived', async () => {
  const conn = await XmppConnection.open({ jid: alice, password: 'secret', resource: 'desk', service: svc() });
  try {
    assert.equal(conn.jid, `${alice}/desk`);
    assert.equal(conn.bareJid, alice);
    assert.equal(conn.state, 'online');
    assert.equal(conn.smStatus.enabled, true);
    assert.equal(conn.smStatus.resumable, true);
    const keys = conn.scramKeys();
    assert.ok(keys && keys.mechanism.startsWith('SCRAM-SHA-'));
    assert.equal(keys.iterations, 100);
  } finally {
    await conn.stop();
  }
});

test('login with cached SCRAM keys and no password', async () => {
  const first = await XmppConnection.open({ jid: alice, password: 'secret', service: svc() });
  const keys = first.scramKeys();
  await first.stop();
  assert.ok(keys);
  const again = await XmppConnection.open({ jid: alice, scramKeys: keys, service: svc() });
  assert.equal(again.state, 'online');
  assert.deepEqual(again.scramKeys(), keys);
  await again.stop();
  // Keys of another password are refused by the server.
  const wrong = { ...keys, clientKey: Buffer.alloc(Buffer.from(keys.clientKey, 'base64').length, 7).toString('base64') };
  assert.equal((await loginError({ jid: alice, scramKeys: wrong, service: svc() })).condition, 'not-authorized');
});

test('wrong password -> not-authorized', async () => {
  assert.equal((await loginError({ jid: alice, password: 'nope', service: svc() })).condition, 'not-authorized');
});

test('unknown user -> not-authorized', async () => {
  assert.equal((await loginError({ jid: `nobody@${prosody.domain}`, password: 'x', service: svc() })).condition, 'not-authorized');
});

test('nothing listening -> unreachable', async () => {
  const port = await freePort();
  assert.equal((await loginError({ jid: alice, password: 'secret', service: `xmpp://127.0.0.1:${port}` })).condition, 'unreachable');
});

test('unknown host -> unreachable', async () => {
  assert.equal((await loginError({ jid: alice, password: 'secret', service: 'xmpp://no-such-host.invalid:5222' })).condition, 'unreachable');
});

// Issue 13: before the stream opened (no features yet), every failure is 'unreachable'; the message keeps the cause for the log.
test('server accepts TCP and never answers -> unreachable, within the timeout', async () => {
  const srv = await tinyServer(() => {});
  after(srv.close);
  const started = Date.now();
  const err = await loginError({ jid: alice, password: 'secret', service: srv.service, timeoutMs: 500 });
  assert.equal(err.condition, 'unreachable');
  assert.match(err.message, /within 500 ms/);
  assert.ok(Date.now() - started < 3000);
});

test('server answers the stream header with a stream error -> unreachable (cause in the message)', async () => {
  const srv = await tinyServer((s) =>
    s.once('data', () =>
      s.end(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' id='x'>` +
          `<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`,
      ),
    ),
  );
  after(srv.close);
  const err = await loginError({ jid: alice, password: 'secret', service: srv.service, timeoutMs: 3000 });
  assert.equal(err.condition, 'unreachable');
  assert.match(err.message, /host-unknown/);
});

test('server accepts TCP then closes -> stream-error, quickly', async () => {
  const srv = await tinyServer((s) => s.destroy());
  after(srv.close);
  const started = Date.now();
  const err = await loginError({ jid: alice, password: 'secret', service: srv.service, timeoutMs: 5000 });
  assert.ok(['stream-error', 'unreachable'].includes(err.condition), err.condition);
  assert.ok(Date.now() - started < 2000, 'did not wait for the timeout');
});

test('TLS required but not offered -> tls-failed; no SCRAM-SHA-256 keys on a SHA-1-only server -> no-mechanism', async () => {
  assert.equal((await loginError({ jid: alice, password: 'secret', service: svc(), requireTls: true })).condition, 'tls-failed');
  const keys = { mechanism: 'SCRAM-SHA-256' as const, salt: 'AAAA', iterations: 100, clientKey: 'AAAA', serverKey: 'AAAA' };
  const err = await loginError({ jid: alice, scramKeys: keys, service: svc() }).catch((e: XmppLoginError) => e);
  // Prosody 0.12 offers SCRAM-SHA-256 too, in which case the stale keys are simply refused.
  assert.ok(['no-mechanism', 'not-authorized'].includes(err.condition), err.condition);
});

test('bad JID -> bad-jid', async () => {
  assert.equal((await loginError({ jid: 'not a jid', password: 'x', service: svc() })).condition, 'bad-jid');
  assert.equal((await loginError({ jid: 'example.org', password: 'x', service: svc() })).condition, 'bad-jid');
});
