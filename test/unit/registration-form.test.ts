import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegistrationForm } from '../../server/http/registration-form.js';

const ok = { jid: 'juliet@example.org', password: 'balcony-2024', confirm: 'balcony-2024' };

test('a good form gives the bare address, lower-cased; a user name alone gets the default domain', () => {
  assert.deepEqual(checkRegistrationForm({ ...ok, jid: ' Juliet@Example.org ' }, null, '*'), { ok: true, jid: 'juliet@example.org', password: 'balcony-2024', remember: false });
  assert.deepEqual(checkRegistrationForm({ ...ok, jid: 'juliet', remember: 'on' }, 'example.org', ['example.org']), { ok: true, jid: 'juliet@example.org', password: 'balcony-2024', remember: true });
});

test('an empty form gets one message per field', () => {
  const check = checkRegistrationForm({}, null, '*');
  assert.equal(check.ok, false);
  assert.deepEqual((check as { errors: object }).errors, { jid: 'Choose your new address.', password: 'Choose a password.', confirm: 'Repeat the password.' });
  assert.deepEqual((checkRegistrationForm({ jid: '', password: '', confirm: '' }, null, '*') as { errors: object }).errors, {
    jid: 'Choose your new address.', password: 'Choose a password.', confirm: 'Repeat the password.',
  });
});

test('passwords must match, be long enough and not huge', () => {
  assert.deepEqual((checkRegistrationForm({ ...ok, confirm: 'balcony-2025' }, null, '*') as { errors: object }).errors, { confirm: 'The two passwords do not match.' });
  assert.deepEqual((checkRegistrationForm({ ...ok, password: 'short', confirm: 'short' }, null, '*') as { errors: object }).errors, { password: 'Choose a password of at least 8 characters.' });
  const huge = 'x'.repeat(1025);
  assert.match((checkRegistrationForm({ ...ok, password: huge, confirm: huge }, null, '*') as { errors: { password: string } }).errors.password, /too long/);
});

test('bad addresses, foreign domains and hostile bodies get a message for the address, never a throw', () => {
  const jidError = (body: unknown, domains: string[] | '*' = '*', def: string | null = null) => (checkRegistrationForm(body, def, domains) as { errors: { jid?: string } }).errors?.jid;
  assert.match(jidError({ ...ok, jid: 'bad name@example.org' })!, /not a valid XMPP address/);
  assert.match(jidError({ ...ok, jid: 'juliet@example.org/balcony' })!, /not a valid XMPP address/);
  assert.match(jidError({ ...ok, jid: 'juliet' })!, /not a valid XMPP address/); // no default domain
  assert.match(jidError({ ...ok, jid: 'juliet@evil.example' }, ['example.org', 'example.net'])!, /only serves accounts on example\.org, example\.net/);
  assert.match(jidError({ ...ok, jid: 'x'.repeat(5000) })!, /too long/);
  assert.match(jidError({ ...ok, jid: ['a@example.org', 'b@example.org'] })!, /Choose your new address/);
  assert.equal(checkRegistrationForm(null, null, '*').ok, false);
  assert.equal(checkRegistrationForm({ ...ok, remember: 'yes' }, null, '*').ok, false);
  assert.equal(checkRegistrationForm({ ...ok, password: ['a', 'b'], confirm: ['a', 'b'] }, null, '*').ok, false);
});
