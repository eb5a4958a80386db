/**
 * The generic data-form renderer (client/ui/rooms/admin): each XEP-0004 field type renders as its control with its
 * label and description as text, typing into it becomes the answer, and the answers become roomConfigure's values.
 * The field component is hook-free, so it is rendered here by calling it and walking the virtual DOM it returns.
 * Also: the create dialog's address and member checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VNode } from 'preact';
import type { DataFormDTO } from '../../server/realtime/contract.js';
import { FieldView } from '../../client/ui/rooms/admin/data-form.js';
import {
  MAX_SHOWN_FIELDS, controlOf, formErrors, initialAnswers, shownFields, submission, type FormField,
} from '../../client/ui/rooms/admin/form-model.js';
import { isJid } from '../../client/ui/rooms/admin/jid.js';
import { checkCreate, localPartFromName } from '../../client/ui/rooms/admin/create-model.js';

/** An element of the rendered tree: its tag, props and children (function components evaluated). */
interface El {
  tag: string;
  props: Record<string, unknown>;
  children: (El | string)[];
}

function flatten(node: unknown, out: (El | string)[]): void {
  if (node === null || node === undefined || typeof node === 'boolean') return;
  if (Array.isArray(node)) return node.forEach((n) => flatten(n, out));
  if (typeof node === 'string' || typeof node === 'number') return void out.push(String(node));
  const v = node as VNode<Record<string, unknown>>;
  if (typeof v.type === 'function') return flatten((v.type as (p: unknown) => unknown)(v.props), out);
  const { children, ...props } = v.props as Record<string, unknown> & { children?: unknown };
  const el: El = { tag: v.type as string, props, children: [] };
  flatten(children, el.children);
  out.push(el);
}

function render(node: unknown): El[] {
  const out: (El | string)[] = [];
  flatten(node, out);
  return out.filter((n): n is El => typeof n !== 'string');
}

function all(roots: (El | string)[], match: (el: El) => boolean): El[] {
  const found: El[] = [];
  const walk = (n: El | string): void => {
    if (typeof n === 'string') return;
    if (match(n)) found.push(n);
    n.children.forEach(walk);
  };
  roots.forEach(walk);
  return found;
}

function textOf(n: El | string): string {
  return typeof n === 'string' ? n : n.children.map(textOf).join('');
}

const XSS = '<img src=x onerror="window.__xss=1">';

function field(partial: Partial<FormField> & Pick<FormField, 'type'>): FormField {
  return { var: `f-${partial.type}`, label: null, desc: null, required: false, values: [], options: [], ...partial };
}

const manyOptions = Array.from({ length: 20 }, (_, i) => ({ label: `Option ${i}`, value: `o${i}` }));
const form: DataFormDTO = {
  title: 'Room configuration',
  instructions: ['Change what you like.'],
  fields: [
    field({ type: 'hidden', var: 'FORM_TYPE', values: ['http://jabber.org/protocol/muc#roomconfig'] }),
    field({ type: 'fixed', var: null, label: XSS, values: ['Fixed text', XSS] }),
    field({ type: 'text-single', var: 'muc#roomconfig_roomname', label: 'Name', desc: XSS, values: ['Old name'] }),
    field({ type: 'text-private', var: 'muc#roomconfig_roomsecret', label: 'Password', values: [] }),
    field({ type: 'text-multi', var: 'muc#roomconfig_roomdesc', label: 'Description', values: ['line 1', 'line 2'] }),
    field({ type: 'boolean', var: 'muc#roomconfig_persistentroom', label: 'Persistent', values: ['true'] }),
    field({ type: 'boolean', var: 'muc#roomconfig_membersonly', label: 'Members only', values: [] }),
    field({ type: 'jid-single', var: 'contact', label: 'Contact', values: [] }),
    field({ type: 'jid-multi', var: 'muc#roomconfig_roomadmins', label: 'Admins', values: ['a@example.org'] }),
    field({ type: 'list-single', var: 'muc#roomconfig_whois', label: 'Who sees addresses', required: true, values: ['moderators'],
      options: [{ label: 'Moderators', value: 'moderators' }, { label: XSS, value: 'anyone' }] }),
    field({ type: 'list-multi', var: 'muc#roomconfig_presencebroadcast', label: 'Broadcast presence of', values: ['moderator', 'participant'],
      options: [{ label: 'Moderator', value: 'moderator' }, { label: 'Participant', value: 'participant' }, { label: 'Visitor', value: 'visitor' }] }),
    field({ type: 'list-multi', var: 'many', label: 'Many', values: ['o3'], options: manyOptions }),
  ],
};

function viewOf(f: FormField, answers: Record<string, string[]>, onChange: (name: string, values: string[]) => void = () => {}, error: null | 'required' = null): El[] {
  return render(FieldView({ field: f, id: 'x', answer: f.var ? answers[f.var] ?? [] : [], error, onChange }));
}

const byVar = (name: string | null): FormField => form.fields.find((f) => f.var === name)!;

test('each field type gets its control', () => {
  assert.deepEqual(form.fields.map(controlOf), ['hidden', 'fixed', 'text', 'password', 'textarea', 'checkbox', 'checkbox', 'jid', 'jids', 'select', 'checkboxes', 'multiselect']);
});

test('every field type renders into its element, with the current value', () => {
  const answers = initialAnswers(form);
  assert.deepEqual(viewOf(byVar('FORM_TYPE'), answers), [], 'hidden: nothing rendered');

  const fixed = viewOf(form.fields[1]!, answers);
  assert.deepEqual(all(fixed, (e) => e.tag === 'input' || e.tag === 'textarea' || e.tag === 'select'), []);
  assert.ok(textOf(fixed[0]!).includes('Fixed text'));

  const name = viewOf(byVar('muc#roomconfig_roomname'), answers);
  const nameInput = all(name, (e) => e.tag === 'input')[0]!;
  assert.equal(nameInput.props.type, 'text');
  assert.equal(nameInput.props.value, 'Old name');
  assert.equal(nameInput.props['aria-describedby'], 'x-desc');
  assert.equal(textOf(all(name, (e) => e.tag === 'label')[0]!), 'Name');

  assert.equal(all(viewOf(byVar('muc#roomconfig_roomsecret'), answers), (e) => e.tag === 'input')[0]!.props.type, 'password');
  assert.equal(all(viewOf(byVar('muc#roomconfig_roomdesc'), answers), (e) => e.tag === 'textarea')[0]!.props.value, 'line 1\nline 2');

  const persistent = all(viewOf(byVar('muc#roomconfig_persistentroom'), answers), (e) => e.tag === 'input')[0]!;
  assert.equal(persistent.props.type, 'checkbox');
  assert.equal(persistent.props.checked, true, "'true' reads as checked");
  assert.equal(all(viewOf(byVar('muc#roomconfig_membersonly'), answers), (e) => e.tag === 'input')[0]!.props.checked, false);

  const contact = all(viewOf(byVar('contact'), answers), (e) => e.tag === 'input')[0]!;
  assert.equal(contact.props.type, 'text');
  assert.equal(contact.props.inputMode, 'email');
  assert.equal(all(viewOf(byVar('muc#roomconfig_roomadmins'), answers), (e) => e.tag === 'textarea')[0]!.props.value, 'a@example.org');

  const whois = viewOf(byVar('muc#roomconfig_whois'), answers);
  const select = all(whois, (e) => e.tag === 'select')[0]!;
  assert.equal(select.props.value, 'moderators');
  assert.equal(select.props.multiple, undefined);
  assert.deepEqual(all(whois, (e) => e.tag === 'option').map((o) => o.props.value), ['moderators', 'anyone']);
  assert.equal(all(whois, (e) => e.props.class === 'data-form-required').length, 1, 'required mark');
  assert.equal(select.props['aria-required'], true);

  const broadcast = all(viewOf(byVar('muc#roomconfig_presencebroadcast'), answers), (e) => e.tag === 'input');
  assert.deepEqual(broadcast.map((b) => [b.props.type, b.props.value, b.props.checked]), [
    ['checkbox', 'moderator', true], ['checkbox', 'participant', true], ['checkbox', 'visitor', false],
  ]);

  const many = viewOf(byVar('many'), answers);
  const multi = all(many, (e) => e.tag === 'select')[0]!;
  assert.equal(multi.props.multiple, true);
  assert.deepEqual(all(many, (e) => e.tag === 'option' && e.props.selected === true).map((o) => o.props.value), ['o3']);
});

test('labels, descriptions, fixed text and option labels are text children, never markup', () => {
  const answers = initialAnswers(form);
  const trees = form.fields.flatMap((f) => viewOf(f, answers));
  const everything = all(trees, () => true);
  assert.ok(everything.every((e) => !('dangerouslySetInnerHTML' in e.props)));
  assert.ok(everything.every((e) => e.tag === e.tag.toLowerCase() && /^[a-z]+$/.test(e.tag)), 'only plain elements');
  const texts = trees.map(textOf).join('\n');
  assert.equal(texts.split(XSS).length - 1, 4, 'fixed label, fixed value, description, option label: all shown as typed');
  assert.equal(all(trees, (e) => e.tag === 'img').length, 0);
});

test('typing into each control becomes its answer, and the answers become roomConfigure values', () => {
  const answers: Record<string, string[]> = initialAnswers(form);
  const onChange = (name: string, values: string[]) => (answers[name] = values);
  const event = (target: Record<string, unknown>) => ({ currentTarget: target }) as unknown as Event;
  const handler = (f: FormField, tag: string, index = 0) => {
    const el = all(viewOf(f, answers, onChange), (e) => e.tag === tag)[index]!;
    return (el.props.onInput ?? el.props.onChange) as (e: Event) => void;
  };
  handler(byVar('muc#roomconfig_roomname'), 'input')(event({ value: 'New name' }));
  handler(byVar('muc#roomconfig_roomsecret'), 'input')(event({ value: 's3cret' }));
  handler(byVar('muc#roomconfig_roomdesc'), 'textarea')(event({ value: 'one\n\ntwo' }));
  handler(byVar('muc#roomconfig_membersonly'), 'input')(event({ checked: true }));
  handler(byVar('muc#roomconfig_persistentroom'), 'input')(event({ checked: false }));
  handler(byVar('contact'), 'input')(event({ value: ' owner@example.org ' }));
  handler(byVar('muc#roomconfig_roomadmins'), 'textarea')(event({ value: 'a@example.org\n\n  b@example.org  \n' }));
  handler(byVar('muc#roomconfig_whois'), 'select')(event({ value: 'anyone' }));
  handler(byVar('muc#roomconfig_presencebroadcast'), 'input', 0)(event({ checked: false }));
  handler(byVar('muc#roomconfig_presencebroadcast'), 'input', 2)(event({ checked: true }));
  handler(byVar('many'), 'select')(event({ selectedOptions: [{ value: 'o1' }, { value: 'o19' }] }));

  assert.deepEqual(formErrors(form, answers), {});
  assert.deepEqual(submission(form, answers), {
    FORM_TYPE: ['http://jabber.org/protocol/muc#roomconfig'],
    'muc#roomconfig_roomname': ['New name'],
    'muc#roomconfig_roomsecret': ['s3cret'],
    'muc#roomconfig_roomdesc': ['one', '', 'two'],
    'muc#roomconfig_persistentroom': ['0'],
    'muc#roomconfig_membersonly': ['1'],
    contact: ['owner@example.org'],
    'muc#roomconfig_roomadmins': ['a@example.org', 'b@example.org'],
    'muc#roomconfig_whois': ['anyone'],
    'muc#roomconfig_presencebroadcast': ['participant', 'visitor'],
    many: ['o1', 'o19'],
  });
});

test('an untouched form submits its current values, booleans as 1/0, fixed text left out', () => {
  const values = submission(form, initialAnswers(form));
  assert.equal(Object.keys(values).length, form.fields.length - 1);
  assert.deepEqual(values['muc#roomconfig_persistentroom'], ['1']);
  assert.deepEqual(values['muc#roomconfig_membersonly'], ['0']);
  assert.deepEqual(values['muc#roomconfig_roomsecret'], []);
  assert.deepEqual(values['muc#roomconfig_roomdesc'], ['line 1', 'line 2']);
  const unchosen: DataFormDTO = { title: null, instructions: [], fields: [field({ type: 'list-single', var: 'l', options: [{ label: null, value: 'a' }] })] };
  assert.deepEqual(submission(unchosen, initialAnswers(unchosen)), {}, 'a list-single without a choice is left out, not sent empty');
});

test('errors: required empty, bad JIDs, a value not among the options; each shown as text under its field', () => {
  const answers: Record<string, string[]> = {
    ...initialAnswers(form),
    contact: ['not an address'],
    'muc#roomconfig_roomadmins': ['a@example.org', 'bad@'],
    'muc#roomconfig_whois': [],
  };
  assert.deepEqual(formErrors(form, answers), { contact: 'jid', 'muc#roomconfig_roomadmins': 'jid', 'muc#roomconfig_whois': 'required' });
  assert.deepEqual(formErrors(form, { ...answers, 'muc#roomconfig_whois': ['nobody'] })['muc#roomconfig_whois'], 'option');
  const shown = viewOf(byVar('muc#roomconfig_whois'), answers, () => {}, 'required');
  const error = all(shown, (e) => e.props['data-testid'] === 'data-form-error')[0]!;
  assert.equal(textOf(error), 'This field is required.');
  assert.equal(all(shown, (e) => e.tag === 'select')[0]!.props['aria-invalid'], true);
  const required = field({ type: 'text-single', var: 'r', required: true });
  assert.equal(formErrors({ title: null, instructions: [], fields: [required] }, { r: ['   '] }).r, 'required');
  assert.deepEqual(formErrors({ title: null, instructions: [], fields: [field({ type: 'text-single', var: 'long' })] }, { long: ['x'.repeat(4097)] }), { long: 'too-long' });
});

test('a form with 10,000 fields: only the first 200 are modelled, fast, and it cannot be submitted', () => {
  const huge: DataFormDTO = {
    title: null,
    instructions: [],
    fields: Array.from({ length: 10_000 }, (_, i) => field({ type: 'text-single', var: `v${i}`, label: `Field ${i}`, values: [String(i)] })),
  };
  const started = performance.now();
  const { fields, omitted } = shownFields(huge);
  const answers = initialAnswers(huge);
  const values = submission(huge, answers);
  const trees = fields.map((f, i) => render(FieldView({ field: f, id: `h${i}`, answer: answers[f.var!]!, error: null, onChange: () => {} })));
  const ms = performance.now() - started;
  assert.equal(fields.length, MAX_SHOWN_FIELDS);
  assert.equal(omitted, 10_000 - MAX_SHOWN_FIELDS);
  assert.equal(Object.keys(answers).length, MAX_SHOWN_FIELDS);
  assert.equal(Object.keys(values).length, MAX_SHOWN_FIELDS);
  assert.equal(trees.length, MAX_SHOWN_FIELDS);
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
});

test('JID checks: full, bare and domain addresses pass; broken ones do not', () => {
  for (const ok of ['a@example.org', 'example.org', 'room@conference.example.org/nick with spaces', 'ünïcode@例え.jp']) assert.ok(isJid(ok), ok);
  for (const bad of ['', 'a@', '@example.org', 'a b@example.org', 'a@b@c', 'a@example..org', 'a@example.org/', 'x'.repeat(3072), '<b>@example.org']) assert.ok(!isJid(bad), bad);
});

test('create dialog: the address follows the name; presets, members and bad input', () => {
  assert.equal(localPartFromName('  Family & Friends: 2026 '), 'family-friends-2026');
  assert.equal(localPartFromName('Ünïcode Chat'), 'ünïcode-chat');
  assert.equal(localPartFromName('<script>alert(1)</script>'), 'scriptalert(1)script');
  const base = { preset: 'group' as const, name: ' Family ', localPart: 'Family', service: 'conference.example.org', nick: '', members: 'bob@example.org, Carol@Example.org\nbob@example.org me@example.org', own: 'me@example.org' };
  assert.deepEqual(checkCreate(base), { ok: true, payload: { room: 'family@conference.example.org', preset: 'group', name: 'Family', members: ['bob@example.org', 'carol@example.org'] } });
  assert.deepEqual(checkCreate({ ...base, preset: 'channel', nick: ' Me ' }), { ok: true, payload: { room: 'family@conference.example.org', preset: 'channel', name: 'Family', nick: 'Me', members: [] } });
  assert.deepEqual(checkCreate({ ...base, members: 'bob@example.org, nope' }), { ok: false, problem: 'member', detail: 'nope' });
  assert.deepEqual(checkCreate({ ...base, localPart: 'a b' }), { ok: false, problem: 'address' });
  assert.deepEqual(checkCreate({ ...base, localPart: 'x@y' }), { ok: false, problem: 'address' });
  assert.deepEqual(checkCreate({ ...base, service: '' }), { ok: false, problem: 'service' });
  const many = Array.from({ length: 101 }, (_, i) => `u${i}@example.org`).join(' ');
  assert.deepEqual(checkCreate({ ...base, members: many }), { ok: false, problem: 'too-many-members' });
});
