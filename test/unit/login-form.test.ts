import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseLoginJid } from '../../server/http/login-form.js';

test('a local part is completed with the default domain; case is folded', () => {
  assert.deepEqual(normaliseLoginJid('Alice', 'example.org', '*'), { ok: true, jid: 'alice@example.org' });
  assert.deepEqual(normaliseLoginJid('Alice@Example.org', null, '*'), { ok: true, jid: 'alice@example.org' });
});

test('resources, bare domains and foreign domains are refused with a reason', () => {
  assert.equal(normaliseLoginJid('alice@example.org/res', null, '*').ok, false);
  assert.equal(normaliseLoginJid('alice', null, '*').ok, false);
  const foreign = normaliseLoginJid('alice@evil.org', null, ['example.org']);
  assert.equal(foreign.ok, false);
  assert.match((foreign as { error: string }).error, /example\.org/);
});
