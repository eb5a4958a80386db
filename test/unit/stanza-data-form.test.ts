import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { booleanValue, buildCancelForm, buildSubmitForm, parseDataForm, type DataForm } from '../../server/stanza/data-form.js';

const el = (s: string) => parse(s) as unknown as Element;

// After the bot configuration example of XEP-0004 §9 (our own literal), one field of every type.
const BOT = `<x xmlns='jabber:x:data' type='form'>
  <title>Bot Configuration</title>
  <instructions>Fill out this form to configure your new bot!</instructions>
  <field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>
  <field type='fixed'><value>Section 1: Bot Info</value></field>
  <field type='text-single' label='The name of your bot' var='botname'/>
  <field type='text-multi' label='Helpful description of your bot' var='description'/>
  <field type='boolean' label='Public bot?' var='public'><required/></field>
  <field type='text-private' label='Password for special access' var='password'/>
  <field type='list-multi' label='What features will the bot support?' var='features'>
    <option label='Contests'><value>contests</value></option>
    <option label='News'><value>news</value></option>
    <option label='Polls'><value>polls</value></option>
    <value>news</value><value>search</value>
  </field>
  <field type='list-single' label='Maximum number of subscribers' var='maxsubs'>
    <value>20</value>
    <option label='10'><value>10</value></option>
    <option label='20'><value>20</value></option>
    <option label='None'><value>none</value></option>
  </field>
  <field type='jid-multi' label='People to invite' var='invitelist'><desc>Tell all your friends about your new bot!</desc></field>
  <field type='jid-single' label='Your JID' var='botowner'/>
  <field var='untyped'><value>x</value></field>
</x>`;

function ok(x: string): DataForm {
  const p = parseDataForm(el(x));
  assert.equal(p.ok, true, JSON.stringify(p));
  return (p as { ok: true; form: DataForm }).form;
}

test('every field type of the XEP-0004 §9 example is read with labels, options, required, desc and title', () => {
  const form = ok(BOT);
  assert.equal(form.type, 'form');
  assert.equal(form.formType, 'jabber:bot');
  assert.equal(form.title, 'Bot Configuration');
  assert.deepEqual(form.instructions, ['Fill out this form to configure your new bot!']);
  assert.deepEqual(form.fields.map((f) => f.type), [
    'hidden', 'fixed', 'text-single', 'text-multi', 'boolean', 'text-private', 'list-multi', 'list-single', 'jid-multi', 'jid-single', 'text-single',
  ]);
  const byVar = (v: string) => form.fields.find((f) => f.var === v)!;
  assert.equal(form.fields[1]!.var, null);
  assert.deepEqual(form.fields[1]!.values, ['Section 1: Bot Info']);
  assert.equal(byVar('public').required, true);
  assert.equal(byVar('botname').required, false);
  assert.deepEqual(byVar('features').values, ['news', 'search']);
  assert.deepEqual(byVar('features').options, [{ label: 'Contests', value: 'contests' }, { label: 'News', value: 'news' }, { label: 'Polls', value: 'polls' }]);
  assert.deepEqual(byVar('maxsubs').values, ['20']);
  assert.equal(byVar('invitelist').desc, 'Tell all your friends about your new bot!');
  assert.equal(byVar('botowner').label, 'Your JID');
});

test('booleans read 0/1/true/false; anything else makes the field (and so the form) bad', () => {
  const f = (v: string) => `<x xmlns='jabber:x:data' type='form'><field type='boolean' var='b'><value>${v}</value></field></x>`;
  assert.equal(booleanValue(ok(f('1')), 'b'), true);
  assert.equal(booleanValue(ok(f('true')), 'b'), true);
  assert.equal(booleanValue(ok(f('0')), 'b'), false);
  assert.equal(booleanValue(ok(f('false')), 'b'), false);
  assert.deepEqual(parseDataForm(el(f('yes'))), { ok: false, error: { error: 'bad-field', detail: 'b' } });
});

test('hostile forms: unknown types, a missing var, bad JIDs, duplicates, wrong form type → typed errors, never a throw', () => {
  const wrap = (inner: string, type = 'form') => el(`<x xmlns='jabber:x:data' type='${type}'>${inner}</x>`);
  assert.equal(parseDataForm(wrap(`<field type='html' var='a'/>`)).ok, false);
  assert.equal(parseDataForm(wrap(`<field type='text-single'/>`)).ok, false);
  assert.equal(parseDataForm(wrap(`<field type='jid-single' var='j'><value>@bad</value></field>`)).ok, false);
  assert.equal(parseDataForm(wrap(`<field type='jid-multi' var='j'><value>a@b</value><value>x y@z</value></field>`)).ok, false);
  assert.deepEqual(parseDataForm(wrap(`<field var='a'/><field var='a'/>`)), { ok: false, error: { error: 'duplicate-var', detail: 'a' } });
  assert.deepEqual(parseDataForm(wrap('', 'evil')), { ok: false, error: { error: 'not-a-form', detail: 'type evil' } });
  assert.deepEqual(parseDataForm(el(`<query xmlns='x'/>`)), { ok: false, error: { error: 'not-a-form', detail: 'no jabber:x:data element' } });
  assert.equal(parseDataForm(null).ok, false);
  // single-valued types keep one value; text stays text
  const f = ok(`<x xmlns='jabber:x:data'><field var='t'><value>&lt;script&gt;1</value><value>2</value></field></x>`);
  assert.deepEqual(f.fields[0]!.values, ['<script>1']);
});

test('10,000 fields or a megabyte value are refused as a whole (bounded memory, no half form)', () => {
  const many = `<x xmlns='jabber:x:data' type='form'>${Array.from({ length: 10_000 }, (_, i) => `<field var='f${i}'/>`).join('')}</x>`;
  assert.deepEqual(parseDataForm(el(many)), { ok: false, error: { error: 'too-many-fields', detail: '10000 > 200' } });
  const huge = `<x xmlns='jabber:x:data' type='form'><field var='big'><value>${'a'.repeat(1_000_000)}</value></field></x>`;
  assert.deepEqual(parseDataForm(el(huge)), { ok: false, error: { error: 'value-too-long', detail: 'big' } });
  const values = `<x xmlns='jabber:x:data' type='form'><field var='m' type='text-multi'>${'<value>a</value>'.repeat(600)}</field></x>`;
  assert.equal(parseDataForm(el(values)).ok, false);
  const small = { maxFields: 2, maxValuesPerField: 10, maxOptionsPerField: 10, maxValueChars: 10 };
  assert.equal(parseDataForm(el(`<x xmlns='jabber:x:data'><field var='a'/><field var='b'/><field var='c'/></x>`), small).ok, false);
});

test('a submit form echoes FORM_TYPE and hidden fields and writes each typed answer as XEP-0004 §3.3 says', () => {
  const form = ok(BOT);
  const built = buildSubmitForm(form, {
    botname: 'The Jabber Google Bot',
    description: 'line 1\nline 2',
    public: false,
    password: 'v3r0n1ca',
    features: ['news', 'polls'],
    maxsubs: '10',
    invitelist: ['juliet@capulet.com', 'romeo@montague.net'],
    botowner: 'owner@example.org',
  });
  assert.ok(built.ok);
  assert.equal(
    built.element.toString(),
    '<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>jabber:bot</value></field>' +
      '<field var="botname"><value>The Jabber Google Bot</value></field>' +
      '<field var="description"><value>line 1</value><value>line 2</value></field>' +
      '<field var="public"><value>0</value></field>' +
      '<field var="password"><value>v3r0n1ca</value></field>' +
      '<field var="features"><value>news</value><value>polls</value></field>' +
      '<field var="maxsubs"><value>10</value></field>' +
      '<field var="invitelist"><value>juliet@capulet.com</value><value>romeo@montague.net</value></field>' +
      '<field var="botowner"><value>owner@example.org</value></field></x>',
  );
});

test('answers of the wrong shape, outside the options or for unknown/fixed fields are errors, never sent', () => {
  const form = ok(BOT);
  assert.deepEqual(buildSubmitForm(form, { public: 'yes' }), { ok: false, error: 'public: expects a boolean' });
  assert.deepEqual(buildSubmitForm(form, { maxsubs: '999' }), { ok: false, error: 'maxsubs: not one of the options' });
  assert.deepEqual(buildSubmitForm(form, { features: ['evil'] }), { ok: false, error: 'features: not one of the options' });
  assert.deepEqual(buildSubmitForm(form, { invitelist: ['not a jid'] }), { ok: false, error: 'invitelist: not a JID' });
  assert.deepEqual(buildSubmitForm(form, { nosuch: 'x' }), { ok: false, error: 'no field nosuch' });
  assert.equal(buildCancelForm().toString(), '<x xmlns="jabber:x:data" type="cancel"/>');
});

test('an answer XML cannot carry (NUL, lone surrogate) is refused, not sent', () => {
  const form = ok(BOT);
  assert.deepEqual(buildSubmitForm(form, { botname: 'a\u0000' }), { ok: false, error: 'botname: characters XML cannot carry' });
  assert.deepEqual(buildSubmitForm(form, { description: ['ok', '\udc00'] }), { ok: false, error: 'description: characters XML cannot carry' });
  assert.ok(buildSubmitForm(form, { botname: 'Zauberer 🧙' }).ok);
});
