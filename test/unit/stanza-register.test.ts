import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { buildRegisterGet, buildRegisterSet, offersRegistration, parseRegisterError, parseRegisterForm } from '../../server/stanza/register.js';

const el = (s: string) => parse(s) as unknown as Element;

test('the stream feature is recognised only in its namespace', () => {
  assert.equal(offersRegistration(el(`<stream:features xmlns:stream='http://etherx.jabber.org/streams'><register xmlns='http://jabber.org/features/iq-register'/></stream:features>`)), true);
  assert.equal(offersRegistration(el(`<stream:features xmlns:stream='http://etherx.jabber.org/streams'><register xmlns='urn:other'/></stream:features>`)), false);
  assert.equal(offersRegistration(el(`<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>`)), false);
});

test('get and set are built as XEP-0077 §3 says', () => {
  assert.equal(buildRegisterGet().toString(), '<iq type="get"><query xmlns="jabber:iq:register"/></iq>');
  assert.equal(
    buildRegisterSet({ kind: 'fields' }, 'juliet', 'R0m<e>o&').toString(),
    '<iq type="set"><query xmlns="jabber:iq:register"><username>juliet</username><password>R0m&lt;e&gt;o&amp;</password></query></iq>',
  );
  assert.equal(
    buildRegisterSet({ kind: 'data-form', hidden: [{ name: 'FORM_TYPE', value: 'x' }, { name: 'sid', value: '42' }] }, 'juliet', 'pw').toString(),
    '<iq type="set"><query xmlns="jabber:iq:register"><x xmlns="jabber:x:data" type="submit">' +
      '<field var="FORM_TYPE"><value>jabber:iq:register</value></field><field var="sid"><value>42</value></field>' +
      '<field var="username"><value>juliet</value></field><field var="password"><value>pw</value></field></x></query></iq>',
  );
});

test("Prosody's answer (legacy fields + a form with optional extras) is answered with plain fields", () => {
  const iq = el(`<iq type='result' id='r1'><query xmlns='jabber:iq:register'>
    <instructions>Choose a username and password for use with this service.</instructions>
    <username/><password/><email/>
    <x xmlns='jabber:x:data' type='form'>
      <title>Creating a new account</title>
      <field var='FORM_TYPE' type='hidden'><value>jabber:iq:register</value></field>
      <field var='username' type='text-single' label='Username'><required/></field>
      <field var='password' type='text-private' label='Password'><required/></field>
      <field var='email' type='text-single' label='Email'/>
    </x></query></iq>`);
  assert.deepEqual(parseRegisterForm(iq), { kind: 'fields' });
});

test('plain legacy fields are fine; another legacy field without a form is required and refused', () => {
  assert.deepEqual(parseRegisterForm(el(`<iq type='result'><query xmlns='jabber:iq:register'><instructions>hi</instructions><username/><password/></query></iq>`)), { kind: 'fields' });
  assert.deepEqual(parseRegisterForm(el(`<iq type='result'><query xmlns='jabber:iq:register'><username/><password/><email/></query></iq>`)), {
    kind: 'unsupported', reason: 'extra-fields', url: null,
  });
});

test('a form alone with only user name and password is answered as a form, hidden fields echoed', () => {
  const form = parseRegisterForm(el(`<iq type='result'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'>
    <field var='FORM_TYPE' type='hidden'><value>jabber:iq:register</value></field>
    <field var='token' type='hidden'><value>abc</value></field>
    <field type='fixed'><value>Welcome</value></field>
    <field var='username'><required/></field><field var='password' type='text-private'><required/></field>
    <field var='nick'/></x></query></iq>`));
  assert.deepEqual(form, { kind: 'data-form', hidden: [{ name: 'FORM_TYPE', value: 'jabber:iq:register' }, { name: 'token', value: 'abc' }] });
});

test('a form that requires more (e-mail) is refused', () => {
  const form = parseRegisterForm(el(`<iq type='result'><query xmlns='jabber:iq:register'><username/><password/><x xmlns='jabber:x:data' type='form'>
    <field var='username'><required/></field><field var='password'><required/></field><field var='email'><required/></field></x></query></iq>`));
  assert.deepEqual(form, { kind: 'unsupported', reason: 'extra-fields', url: null });
});

test('a CAPTCHA (XEP-0158: ocr field, media element, bits of binary) is refused', () => {
  // as ejabberd sends it with captcha enabled
  const ejabberd = el(`<iq type='result'><query xmlns='jabber:iq:register'><instructions>Solve it</instructions>
    <x xmlns='jabber:x:data' type='form'>
      <field var='FORM_TYPE' type='hidden'><value>jabber:iq:register</value></field>
      <field var='username' type='text-single'><required/></field><field var='password' type='text-private'><required/></field>
      <field var='challenge' type='hidden'><value>1234</value></field>
      <field var='ocr' type='text-single' label='Enter the text you see'>
        <media xmlns='urn:xmpp:media-element' height='70' width='300'><uri type='image/png'>cid:sha1+abc@bob.xmpp.org</uri></media><required/>
      </field></x></query>
    <data xmlns='urn:xmpp:bob' cid='sha1+abc@bob.xmpp.org' type='image/png'>iVBORw0KGgo=</data></iq>`);
  assert.deepEqual(parseRegisterForm(ejabberd), { kind: 'unsupported', reason: 'captcha', url: null });
  const formType = el(`<iq type='result'><query xmlns='jabber:iq:register'><username/><password/><x xmlns='jabber:x:data' type='form'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:captcha</value></field><field var='qa'><required/></field></x></query></iq>`);
  assert.equal((parseRegisterForm(formType) as { reason: string }).reason, 'captcha');
});

test('a redirection to a web page (XEP-0077 §5) names the page; other schemes are dropped', () => {
  const redirect = el(`<iq type='result'><query xmlns='jabber:iq:register'><instructions>Go to the web</instructions>
    <x xmlns='jabber:x:oob'><url>https://example.org/register</url></x></query></iq>`);
  assert.deepEqual(parseRegisterForm(redirect), { kind: 'unsupported', reason: 'website', url: 'https://example.org/register' });
  const js = el(`<iq type='result'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:oob'><url>javascript:alert(1)</url></x></query></iq>`);
  assert.deepEqual(parseRegisterForm(js), { kind: 'unsupported', reason: 'no-fields', url: null });
  assert.deepEqual(parseRegisterForm(el(`<iq type='result'/>`)), { kind: 'unsupported', reason: 'no-fields', url: null });
});

test('error answers are classified per XEP-0077 §3.1; the text is kept short and flat', () => {
  const err = (condition: string, type: string, text = '') =>
    parseRegisterError(el(`<iq type='error' id='x'><error type='${type}'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>${text ? `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>${text}</text>` : ''}</error></iq>`));
  assert.deepEqual(err('conflict', 'cancel', 'The requested username already exists.'), { refusal: 'taken', condition: 'conflict', text: 'The requested username already exists.' });
  assert.equal(err('not-acceptable', 'modify').refusal, 'invalid');
  assert.equal(err('bad-request', 'modify').refusal, 'invalid');
  assert.equal(err('not-allowed', 'cancel').refusal, 'closed');
  assert.equal(err('forbidden', 'auth').refusal, 'closed');
  assert.equal(err('service-unavailable', 'cancel').refusal, 'closed');
  assert.equal(err('resource-constraint', 'wait').refusal, 'busy');
  assert.equal(err('policy-violation', 'wait', 'Too many registrations from this IP address recently').refusal, 'busy');
  assert.equal(err('policy-violation', 'modify', 'Encryption is required').refusal, 'other');
  assert.equal(err('internal-server-error', 'wait').refusal, 'other');
  assert.equal(err('not-acceptable', 'modify', `line one\nline\ttwo ${'x'.repeat(500)}`).text!.length, 200);
  assert.match(err('not-acceptable', 'modify', 'line one\nline two').text!, /^line one line two$/);
  assert.deepEqual(parseRegisterError(el(`<iq type='error'/>`)), { refusal: 'other', condition: 'undefined-condition', text: null });
});
