/** The account's own management over XEP-0077: password change and account removal, built and answered with literal stanzas. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { buildAccountRemove, buildPasswordChange, MAX_PASSWORD_LENGTH, parseAccountChangeError } from '../../server/stanza/register.js';

const el = (s: string) => parse(s) as unknown as Element;

test('a password change is addressed to our own server with user name and new password (XEP-0077 §3.3)', () => {
  assert.equal(
    buildPasswordChange('shakespeare.lit', 'juliet', 'n3w<&>"pw').toString(),
    '<iq type="set" to="shakespeare.lit"><query xmlns="jabber:iq:register"><username>juliet</username><password>n3w&lt;&amp;&gt;"pw</password></query></iq>',
  );
});

test('an account removal is one <remove/> to our own server (XEP-0077 §3.2)', () => {
  assert.equal(buildAccountRemove('shakespeare.lit').toString(), '<iq type="set" to="shakespeare.lit"><query xmlns="jabber:iq:register"><remove/></query></iq>');
});

test('the limit on passwords is 1,024 characters', () => {
  assert.equal(MAX_PASSWORD_LENGTH, 1024);
});

test('refusals are classified: not-allowed, not-acceptable, not-authorized, anything else', () => {
  const answer = (condition: string, type = 'cancel', text = '') =>
    el(
      `<iq type='error' from='shakespeare.lit' id='change1'><query xmlns='jabber:iq:register'><username>juliet</username><password>x</password></query>` +
        `<error type='${type}'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>${text ? `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>${text}</text>` : ''}</error></iq>`,
    );
  assert.deepEqual(parseAccountChangeError(answer('not-allowed')), { refusal: 'not-allowed', condition: 'not-allowed', text: null });
  assert.deepEqual(parseAccountChangeError(answer('not-acceptable', 'modify', 'Password too weak')), { refusal: 'not-acceptable', condition: 'not-acceptable', text: 'Password too weak' });
  assert.equal(parseAccountChangeError(answer('bad-request', 'modify')).refusal, 'not-acceptable');
  assert.equal(parseAccountChangeError(answer('forbidden', 'auth')).refusal, 'not-allowed');
  assert.equal(parseAccountChangeError(answer('not-authorized', 'auth')).refusal, 'not-authorized');
  assert.equal(parseAccountChangeError(answer('internal-server-error', 'wait')).refusal, 'other');
  // A server's text is untrusted: control characters go, and it is bounded.
  const long = parseAccountChangeError(answer('not-acceptable', 'modify', `a\u0001b${'x'.repeat(400)}`));
  assert.equal(long.text!.length, 200);
  assert.ok(long.text!.startsWith('a b'));
  // No <error/> at all: an unknown condition, not a crash.
  assert.deepEqual(parseAccountChangeError(el(`<iq type='error' id='x'/>`)), { refusal: 'other', condition: 'undefined-condition', text: null });
});
