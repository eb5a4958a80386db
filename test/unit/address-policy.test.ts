/**
 * The address rule shared by XMPP connections and uploads (server/net/address-policy.ts), and where XMPP endpoints
 * come from: SRV targets and names are resolved by us and checked, and the endpoint is the checked IP literal.
 * DNS is a fake here (we cannot publish SRV records in a test); the connection test uses a real TCP listener.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SrvRecord } from 'node:dns';
import { isPrivateAddress, publicAddresses, AddressRefused } from '../../server/net/address-policy.js';
import { resolveEndpoints, NoEndpoint, type Resolver } from '../../server/xmpp/endpoints.js';
import { XmppConnection, XmppLoginError } from '../../server/xmpp/connection.js';
import { ConnectionCounter } from '../harness/hostile-xmpp.js';
import { BoundedParser, DEFAULT_STANZA_LIMITS } from '../../server/xmpp/bounded-parser.js';

function fakeDns(srv: Record<string, SrvRecord[]>, hosts: Record<string, string[]>): Resolver {
  return {
    resolveSrv: async (name) => {
      const r = srv[name];
      if (!r) throw Object.assign(new Error('ENODATA'), { code: 'ENODATA' });
      return r;
    },
    lookup: async (host) => {
      const a = hosts[host];
      if (!a) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
  };
}
const srv = (name: string, port: number): SrvRecord => ({ name, port, priority: 0, weight: 0 });

test('private, loopback, CGNAT, unspecified and embedded-IPv4 addresses are refused; public ones pass', async () => {
  for (const a of ['127.0.0.2', '10.255.255.1', '0.0.0.0', '100.64.1.1', '192.0.0.8', '::1', '::', '::ffff:127.0.0.1', '::127.0.0.1', '::ffff:7f00:1', 'fe80::1', 'fd00::1']) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ['93.184.216.34', '2001:4860:4860::8888']) assert.equal(isPrivateAddress(a), false, a);
  await assert.rejects(publicAddresses('[::1]'), AddressRefused);
  // One private answer among public ones (a rebinding attempt) refuses the name.
  await assert.rejects(publicAddresses('mixed.example', async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.1', family: 4 }]), AddressRefused);
});

test('SRV targets and the domain are resolved and checked; the endpoint is the checked IP literal', async () => {
  const dns = fakeDns(
    { '_xmpp-client._tcp.good.example': [srv('xmpp.good.example', 5223)], '_xmpp-client._tcp.evil.example': [srv('inside.evil.example', 22)] },
    { 'xmpp.good.example': ['93.184.216.34'], 'inside.evil.example': ['127.0.0.1'], 'plain.example': ['10.1.2.3'] },
  );
  assert.deepEqual(await resolveEndpoints('good.example', undefined, dns), [{ host: '93.184.216.34', port: 5223, name: 'xmpp.good.example' }]);
  await assert.rejects(resolveEndpoints('evil.example', undefined, dns), (err: unknown) => err instanceof NoEndpoint && err.refused[0]?.address === '127.0.0.1');
  await assert.rejects(resolveEndpoints('plain.example', undefined, dns), (err: unknown) => err instanceof NoEndpoint && err.refused.length === 1);
  await assert.rejects(resolveEndpoints('127.0.0.2', undefined, dns), NoEndpoint);
  // An admin-named service is used as it is, loopback included.
  assert.deepEqual(await resolveEndpoints('evil.example', 'xmpp://127.0.0.1:5299', dns), [{ host: '127.0.0.1', port: 5299 }]);
});

test('a login whose SRV record points at a local port opens no connection to it', async () => {
  const counter = await ConnectionCounter.start('127.0.0.1');
  try {
    const dns = fakeDns({ '_xmpp-client._tcp.evil.example': [srv('target.evil.example', counter.port)] }, { 'target.evil.example': ['127.0.0.1'] });
    const err = await XmppConnection.open({ jid: 'x@evil.example', password: 'pw', resolver: dns, timeoutMs: 2000 }).then(
      (c) => (void c.stop(), null),
      (e: unknown) => e,
    );
    assert.ok(err instanceof XmppLoginError);
    assert.equal(err.condition, 'unreachable');
    assert.match(err.message, /refused target\.evil\.example \(127\.0\.0\.1\)/);
    assert.equal(counter.count, 0);
  } finally {
    await counter.stop();
  }
});

test('whitespace keep-alives between stanzas are not kept; text outside a stanza is not well-formed', () => {
  const problems: string[] = [];
  const parser = new BoundedParser(DEFAULT_STANZA_LIMITS, (c) => problems.push(c));
  parser.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
  for (let i = 0; i < 100; i++) parser.write(' \n');
  parser.write('<message/>');
  assert.equal(parser.root!.children.length, 0);
  assert.deepEqual(problems, []);
  parser.write('junk<message/>');
  assert.deepEqual(problems, ['not-well-formed']);
});
