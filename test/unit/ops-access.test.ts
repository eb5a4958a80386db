/** Who may read /metrics and the admin API; the admin token file; the new configuration variables; settings shown to admins. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { hasBearer, isDirectLoopback, isLoopbackAddress } from '../../server/ops/access.js';
import { ensureAdminToken, readAdminToken } from '../../server/ops/admin-token.js';
import { parseBareJid } from '../../server/ops/admins.js';
import { describeSettings, withoutPassword } from '../../server/ops/settings.js';
import { instanceUrl } from '../../server/ops/admin-cli.js';
import { ConfigError, loadConfig } from '../../server/app/config.js';

const req = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;
const tmp = () => mkdtempSync(path.join(tmpdir(), 'parley-ops-'));

test('loopback addresses, v4, v6 and v4-mapped', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(a), true, a);
  for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', '', undefined]) assert.equal(isLoopbackAddress(a), false, String(a));
});

test('a request through a reverse proxy on the same host is not "direct loopback"', () => {
  assert.equal(isDirectLoopback(req('127.0.0.1')), true);
  assert.equal(isDirectLoopback(req('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })), false);
  assert.equal(isDirectLoopback(req('::1', { forwarded: 'for=203.0.113.9' })), false);
  assert.equal(isDirectLoopback(req('127.0.0.1', { 'x-real-ip': '203.0.113.9' })), false);
  assert.equal(isDirectLoopback(req('192.0.2.10')), false);
});

test('Bearer tokens: exact match only', () => {
  const token = 'a-long-metrics-token-123';
  assert.equal(hasBearer(req('10.0.0.1', { authorization: `Bearer ${token}` }), token), true);
  assert.equal(hasBearer(req('10.0.0.1', { authorization: `bearer ${token}` }), token), true);
  assert.equal(hasBearer(req('10.0.0.1', { authorization: `Bearer ${token}x` }), token), false);
  assert.equal(hasBearer(req('10.0.0.1', { authorization: `Basic ${token}` }), token), false);
  assert.equal(hasBearer(req('10.0.0.1'), token), false);
});

test('the admin token is generated once (0600) and read back; a configured one wins', () => {
  const dataDir = tmp();
  assert.equal(readAdminToken({ adminToken: null, dataDir }), null);
  const token = ensureAdminToken({ adminToken: null, dataDir });
  assert.ok(token.length >= 32);
  assert.equal(ensureAdminToken({ adminToken: null, dataDir }), token);
  assert.equal(readAdminToken({ adminToken: null, dataDir }), token);
  assert.equal(statSync(path.join(dataDir, 'admin-token')).mode & 0o777, 0o600);
  assert.equal(readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(), token);
  assert.equal(ensureAdminToken({ adminToken: 'configured-token-0123456', dataDir }), 'configured-token-0123456');
});

test('PARLEY_ADMINS takes bare JIDs; tokens need 16 characters', () => {
  const c = loadConfig({ PARLEY_DATA_DIR: tmp(), PARLEY_ADMINS: 'Alice@Example.org, bob@chat.example.net', PARLEY_METRICS_TOKEN: 'sixteen-chars-ok' });
  assert.deepEqual(c.admins, ['alice@example.org', 'bob@chat.example.net']);
  assert.equal(c.metricsToken, 'sixteen-chars-ok');
  assert.equal(c.adminToken, null);
  try {
    loadConfig({ PARLEY_DATA_DIR: tmp(), PARLEY_ADMINS: 'example.org', PARLEY_METRICS_TOKEN: 'short', PARLEY_ADMIN_TOKEN: 'short' });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /PARLEY_ADMINS.*bare XMPP addresses/);
    assert.match(text, /PARLEY_METRICS_TOKEN.*at least 16/);
    assert.match(text, /PARLEY_ADMIN_TOKEN.*at least 16/);
  }
});

test('settings never show a password or a secret', () => {
  const c = loadConfig({ PARLEY_DATA_DIR: tmp(), DATABASE_URL: 'postgres://parley:hunter2-secret@db.internal:5432/parley', PARLEY_SESSION_SECRET: 'x'.repeat(40), PARLEY_METRICS_TOKEN: 'metrics-token-secret-1' });
  const text = JSON.stringify(describeSettings(c, { PARLEY_SESSION_SECRET: 'x'.repeat(40) }));
  assert.doesNotMatch(text, /hunter2|xxxxxxxx|metrics-token-secret/);
  assert.match(text, /postgres:\/\/parley:\*\*\*@db\.internal:5432\/parley/);
  assert.equal(withoutPassword('postgres://u@h/db'), 'postgres://u@h/db');
});

test('CLI helpers: bare JIDs, the instance URL seen from this machine', () => {
  assert.equal(parseBareJid(' Alice@Example.org '), 'alice@example.org');
  assert.equal(parseBareJid('alice@example.org/tab'), null);
  assert.equal(parseBareJid('example.org'), null);
  assert.equal(instanceUrl({ host: '0.0.0.0', port: 8080 }), 'http://127.0.0.1:8080');
  assert.equal(instanceUrl({ host: '::', port: 8080 }), 'http://[::1]:8080');
  assert.equal(instanceUrl({ host: '127.0.0.1', port: 9000 }), 'http://127.0.0.1:9000');
});
