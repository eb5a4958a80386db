import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProfileDTO } from '../../server/realtime/contract.js';
import { PROFILE_FIELDS, fieldValues, safeWebUrl, stateText } from '../../client/ui/profile-fields.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';

test('only http and https websites become links', () => {
  assert.equal(safeWebUrl('https://bob.example/'), 'https://bob.example/');
  assert.equal(safeWebUrl(' http://bob.example/a b '), 'http://bob.example/a%20b');
  assert.equal(safeWebUrl('HTTPS://BOB.example'), 'https://bob.example/');
  for (const text of [
    'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)', 'mailto:bob@example.org', 'xmpp:bob@example.org', 'file:///etc/passwd', 'ftp://bob.example/', '//bob.example/',
    'bob.example', '/relative', '', 'https://bank.example@evil.example/', 'https://user:pw@bob.example/',
  ]) {
    assert.equal(safeWebUrl(text), null, text);
  }
  for (const payload of xssPayloads()) {
    const href = safeWebUrl(payload);
    if (href !== null) assert.match(href, /^https?:\/\//, payload);
  }
});

test('fields come in a fixed order with one entry per value; states have a sentence', () => {
  const profile: ProfileDTO = {
    jid: 'bob@example.org', state: 'found', source: 'vcard4', fetchedAt: new Date().toISOString(),
    fields: { fn: 'Bob', nickname: null, emails: ['a@x', 'b@x'], tels: [], urls: [], org: '', title: null, bday: null, note: null, locality: null, country: null },
  };
  assert.deepEqual(fieldValues(profile, 'fn'), ['Bob']);
  assert.deepEqual(fieldValues(profile, 'emails'), ['a@x', 'b@x']);
  assert.deepEqual(fieldValues(profile, 'org'), []);
  assert.deepEqual(fieldValues(profile, 'nickname'), []);
  assert.equal(new Set(PROFILE_FIELDS.map((f) => f.key)).size, Object.keys(profile.fields).length, 'every field is shown');
  assert.equal(stateText('found'), '');
  for (const s of ['empty', 'forbidden', 'unavailable', 'timeout', 'malformed', 'error'] as const) assert.ok(stateText(s).length > 0);
});
