import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../server/app/config.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'parley-config-'));

test('defaults work on an empty environment and persist a generated session secret', () => {
  const dir = tmp();
  const c = loadConfig({ PARLEY_DATA_DIR: dir });
  assert.equal(c.port, 8080);
  assert.equal(c.publicUrl.origin, 'http://127.0.0.1:8080');
  assert.equal(c.xmpp.allowedDomains, '*');
  assert.equal(c.timers.awayAfterMs, 10_000);
  assert.equal(c.timers.idleLogoutMs, 24 * 3600_000);
  const file = path.join(dir, 'session-secret');
  assert.equal(readFileSync(file, 'utf8').trim(), c.sessionSecret);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(loadConfig({ PARLEY_DATA_DIR: dir }).sessionSecret, c.sessionSecret, 'kept across restarts');
});

test('every bad value is reported, each with its variable', () => {
  try {
    loadConfig({ PARLEY_DATA_DIR: tmp(), PORT: 'eighty', DATABASE_URL: 'mysql://x', PARLEY_XMPP_SERVICES: 'example.org=http://x', LOG_LEVEL: 'loud', PARLEY_REGISTRATION: 'maybe' });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'PARLEY_XMPP_SERVICES', 'LOG_LEVEL', 'PARLEY_REGISTRATION']) assert.match(text, new RegExp(name));
    assert.equal(err.problems.length, 5);
  }
});

test('lists and maps are parsed', () => {
  const c = loadConfig({ PARLEY_DATA_DIR: tmp(), PARLEY_XMPP_DOMAINS: 'Example.org, chat.example.net', PARLEY_XMPP_SERVICES: 'example.org=xmpp://10.0.0.1:5222' });
  assert.deepEqual(c.xmpp.allowedDomains, ['example.org', 'chat.example.net']);
  assert.deepEqual(c.xmpp.services, { 'example.org': 'xmpp://10.0.0.1:5222' });
});

test('bounds on what XMPP servers may send: Prosody-like defaults, each one settable and checked', () => {
  const d = loadConfig({ PARLEY_DATA_DIR: tmp() });
  assert.deepEqual(d.xmpp.guards, {
    limits: { maxBytes: 262144, maxDepth: 32, maxAttributes: 64, maxAttributeBytes: 16384, maxTextBytes: 262144, maxSkippedBytes: 4 * 2 ** 20 },
    stanzaRate: { perSecond: 200, burst: 5000 },
    roomPresenceRate: { perSecond: 2000, burst: 20_000 },
    inboundQueue: 1000,
    timeoutMs: 15_000,
  });
  assert.equal(d.limits.domainLoginFailures, 100);
  const c = loadConfig({ PARLEY_DATA_DIR: tmp(), PARLEY_XMPP_STANZA_LIMIT: '65536', PARLEY_XMPP_STANZA_RATE: '50', PARLEY_XMPP_ROOM_PRESENCE_RATE: '500', PARLEY_XMPP_INBOUND_QUEUE: '200' });
  assert.equal(c.xmpp.guards.roomPresenceRate.perSecond, 500);
  assert.equal(c.xmpp.guards.limits.maxBytes, 65536);
  assert.equal(c.xmpp.guards.stanzaRate.perSecond, 50);
  assert.equal(c.xmpp.guards.inboundQueue, 200);
  assert.throws(() => loadConfig({ PARLEY_DATA_DIR: tmp(), PARLEY_XMPP_STANZA_LIMIT: '100', PARLEY_XMPP_MAX_DEPTH: 'deep' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.filter((p) => /PARLEY_XMPP_STANZA_LIMIT|PARLEY_XMPP_MAX_DEPTH/.test(p)).length, 2);
    return true;
  });
});

test('several nodes: node id (default host:port, stable), Redis URL and lease TTL, each checked', () => {
  const single = loadConfig({ PARLEY_DATA_DIR: tmp(), PORT: '8081' });
  assert.match(single.cluster.nodeId, /:8081$/);
  assert.equal(loadConfig({ PARLEY_DATA_DIR: tmp(), PORT: '8081' }).cluster.nodeId, single.cluster.nodeId, 'the same after a restart');
  assert.deepEqual({ redis: single.cluster.redisUrl, ttl: single.cluster.leaseTtlMs }, { redis: null, ttl: 6000 });
  const c = loadConfig({ PARLEY_DATA_DIR: tmp(), PARLEY_NODE_ID: 'web-2', PARLEY_REDIS_URL: 'redis://10.0.0.5:6379', PARLEY_LEASE_TTL: '4.5' });
  assert.deepEqual(c.cluster, { nodeId: 'web-2', redisUrl: 'redis://10.0.0.5:6379', leaseTtlMs: 4500 });
  try {
    loadConfig({ PARLEY_DATA_DIR: tmp(), PARLEY_NODE_ID: 'web 2<script>', PARLEY_REDIS_URL: 'http://x', PARLEY_LEASE_TTL: '0' });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems.map((p) => p.split('=')[0]).sort(), ['PARLEY_LEASE_TTL', 'PARLEY_NODE_ID', 'PARLEY_REDIS_URL']);
  }
});
