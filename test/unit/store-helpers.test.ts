/** Pure helpers of the store: error messages, id parsing, hashing, migration files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describeConnectError, DatabaseUnavailableError } from '../../server/store/db.js';
import { toBigInt } from '../../server/store/accounts.js';
import { hashSid } from '../../server/store/sessions.js';
import { readMigrations, MigrationError } from '../../server/store/migrate.js';

const URL_ = 'postgres://parley:hunter2@db.internal:6543/parleydb';

test('connection errors name the server, the database and what to check, never the password', () => {
  const cases: [object, RegExp][] = [
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6543'), { code: 'ECONNREFUSED' }), /is PostgreSQL running/],
    [Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' }), /host name does not resolve/],
    [Object.assign(new Error('password authentication failed'), { code: '28P01' }), /user "parley"/],
    [Object.assign(new Error('database "parleydb" does not exist'), { code: '3D000' }), /createdb parleydb/],
    [new Error('Connection terminated due to connection timeout'), /firewall/],
    [new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:6543'), { code: 'ECONNREFUSED' })], ''), /ECONNREFUSED ::1:6543 — nothing is listening/],
  ];
  for (const [err, hint] of cases) {
    const out = describeConnectError(err, URL_);
    assert.ok(out instanceof DatabaseUnavailableError);
    assert.ok(out.message.includes('PostgreSQL at db.internal:6543, database "parleydb"'), out.message);
    assert.match(out.message, hint);
    assert.ok(!out.message.includes('hunter2'));
    assert.equal(out.cause, err);
  }
  const migration = new MigrationError('refusing to start');
  assert.equal(describeConnectError(migration, URL_), migration, 'migration errors pass through unchanged');
});

test('ids from outside must be decimal bigints', () => {
  assert.equal(toBigInt('42'), 42n);
  assert.equal(toBigInt('9223372036854775807'), 9223372036854775807n);
  for (const bad of ['', '-1', '1.5', '1e3', ' 1', '0x10', '9223372036854775808', '1; DROP TABLE x']) assert.equal(toBigInt(bad), null, bad);
});

test('session ids are stored as their SHA-256', () => {
  assert.equal(hashSid('abc'), createHash('sha256').update('abc').digest('hex'));
  assert.notEqual(hashSid('abc'), hashSid('abd'));
});

test('migration files are read in name order with their checksums', async () => {
  const files = await readMigrations();
  assert.ok(files.length >= 1);
  assert.deepEqual(files.map((f) => f.name), files.map((f) => f.name).sort());
  for (const f of files) {
    assert.match(f.name, /^\d{14}_[a-z0-9_]+$/);
    assert.equal(f.checksum, createHash('sha256').update(f.sql).digest('hex'));
  }
});
