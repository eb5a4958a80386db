/**
 * Data forms (XEP-0004): parse a form of any field type into a typed, bounded structure, and build the submit answer.
 * Forms come from rooms and services we do not control: every count and length is capped, and a form over the caps
 * is refused as a whole (a truncated configuration form submitted back would silently change settings).
 */
import { xml, type Element } from '@xmpp/xml';
import { parseJid } from './jid.js';
import { isXmlText } from './xml-text.js';

export const NS_DATA = 'jabber:x:data';

export const FIELD_TYPES = [
  'boolean', 'fixed', 'hidden', 'jid-multi', 'jid-single', 'list-multi', 'list-single', 'text-multi', 'text-private', 'text-single',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
const TYPES = new Set<string>(FIELD_TYPES);

export interface FormLimits {
  maxFields: number;
  maxValuesPerField: number;
  maxOptionsPerField: number;
  /** Characters in one value, label, description, option or var. */
  maxValueChars: number;
}

/** Enough for any real room configuration (Prosody ~30 fields, ejabberd ~35) with a wide margin. */
export const DEFAULT_LIMITS: FormLimits = { maxFields: 200, maxValuesPerField: 500, maxOptionsPerField: 500, maxValueChars: 4096 };

export interface FormOption {
  label: string | null;
  value: string;
}

export interface FormField {
  /** Absent only for 'fixed' fields (XEP-0004 §3.2: var MAY be omitted for fixed, MUST be present otherwise). */
  var: string | null;
  type: FieldType;
  label: string | null;
  desc: string | null;
  required: boolean;
  /** Booleans are read as values '1'/'true'/'0'/'false'; see `booleanValue`. Single-valued types keep at most one. */
  values: string[];
  options: FormOption[];
}

export interface DataForm {
  type: 'form' | 'submit' | 'cancel' | 'result';
  /** The hidden FORM_TYPE field's value, if any. */
  formType: string | null;
  title: string | null;
  instructions: string[];
  fields: FormField[];
}

export type FormError = { error: 'not-a-form' | 'too-many-fields' | 'too-many-values' | 'value-too-long' | 'bad-field' | 'duplicate-var'; detail: string };
export type FormParse = { ok: true; form: DataForm } | { ok: false; error: FormError };

const MULTI = new Set<FieldType>(['jid-multi', 'list-multi', 'text-multi', 'hidden']);

function fail(error: FormError['error'], detail: string): FormParse {
  return { ok: false, error: { error, detail } };
}

class Over extends Error {
  constructor(readonly kind: FormError['error'], readonly detail: string) {
    super(detail);
  }
}

function bounded(s: string | null | undefined, limits: FormLimits, what: string): string | null {
  if (s === null || s === undefined) return null;
  if (s.length > limits.maxValueChars) throw new Over('value-too-long', what);
  return s;
}

/** Parses an `<x xmlns='jabber:x:data'>` element, or finds the first one among the children of `el`. Never throws. */
export function parseDataForm(el: Element | undefined | null, limits: FormLimits = DEFAULT_LIMITS): FormParse {
  try {
    const x = !el ? undefined : el.is('x', NS_DATA) ? el : el.getChild('x', NS_DATA);
    if (!x) return fail('not-a-form', 'no jabber:x:data element');
    const rawType = String(x.attrs.type ?? 'form');
    if (rawType !== 'form' && rawType !== 'submit' && rawType !== 'cancel' && rawType !== 'result') return fail('not-a-form', `type ${rawType.slice(0, 20)}`);
    const fieldEls = x.getChildren('field');
    if (fieldEls.length > limits.maxFields) return fail('too-many-fields', `${fieldEls.length} > ${limits.maxFields}`);
    const fields: FormField[] = [];
    const seen = new Set<string>();
    for (const f of fieldEls) {
      const field = parseField(f, limits);
      if (!field) return fail('bad-field', String(f.attrs.var ?? '').slice(0, 64));
      if (field.var !== null) {
        if (seen.has(field.var)) return fail('duplicate-var', field.var.slice(0, 64));
        seen.add(field.var);
      }
      fields.push(field);
    }
    const instructions = x.getChildren('instructions').map((i) => bounded(i.getText(), limits, 'instructions') ?? '');
    if (instructions.length > limits.maxValuesPerField) return fail('too-many-values', 'instructions');
    const formTypeField = fields.find((f) => f.var === 'FORM_TYPE');
    return {
      ok: true,
      form: {
        type: rawType,
        formType: formTypeField?.values[0]?.trim() || null,
        title: bounded(x.getChildText('title'), limits, 'title'),
        instructions,
        fields,
      },
    };
  } catch (err) {
    if (err instanceof Over) return fail(err.kind, err.detail);
    return fail('not-a-form', 'unreadable');
  }
}

function parseField(f: Element, limits: FormLimits): FormField | null {
  const rawVar = f.attrs.var;
  const v = typeof rawVar === 'string' && rawVar.length > 0 ? bounded(rawVar, limits, 'var') : null;
  // XEP-0004 §3.3: a field without a type is text-single.
  const rawType = f.attrs.type === undefined ? 'text-single' : String(f.attrs.type);
  if (!TYPES.has(rawType)) return null;
  const type = rawType as FieldType;
  if (v === null && type !== 'fixed') return null;
  const valueEls = f.getChildren('value');
  if (valueEls.length > limits.maxValuesPerField) throw new Over('too-many-values', v ?? 'fixed');
  let values = valueEls.map((e) => bounded(e.getText(), limits, v ?? 'value') ?? '');
  if (!MULTI.has(type) && values.length > 1) values = values.slice(0, 1);
  if (type === 'boolean' && values.length === 1 && booleanOf(values[0]!) === null) return null;
  if (type === 'jid-single' && values.length === 1 && values[0] !== '' && !parseJid(values[0])) return null;
  if (type === 'jid-multi' && values.some((j) => !parseJid(j))) return null;
  const optionEls = f.getChildren('option');
  if (optionEls.length > limits.maxOptionsPerField) throw new Over('too-many-values', `${v} options`);
  const options: FormOption[] = [];
  for (const o of optionEls) {
    const value = o.getChildText('value');
    if (value === null) continue;
    options.push({ label: bounded(o.attrs.label as string | undefined, limits, 'label'), value: bounded(value, limits, 'option')! });
  }
  return {
    var: v,
    type,
    label: bounded(f.attrs.label as string | undefined, limits, 'label'),
    desc: bounded(f.getChildText('desc'), limits, 'desc'),
    required: !!f.getChild('required'),
    values,
    options,
  };
}

function booleanOf(s: string): boolean | null {
  const t = s.trim();
  if (t === '1' || t === 'true') return true;
  if (t === '0' || t === 'false') return false;
  return null;
}

/** The field's boolean value (XEP-0004 §3.3: "0"/"false" or "1"/"true"); null when absent or not a boolean. */
export function booleanValue(form: DataForm, name: string): boolean | null {
  const f = form.fields.find((x) => x.var === name);
  return f && f.values[0] !== undefined ? booleanOf(f.values[0]) : null;
}

export function fieldValue(form: DataForm, name: string): string | null {
  return form.fields.find((x) => x.var === name)?.values[0] ?? null;
}

/** A typed answer for one field: booleans, one string, or several (multi types). */
export type FieldAnswer = boolean | string | readonly string[];

/**
 * The submit form (XEP-0004 §3.1 type='submit') answering `form`: FORM_TYPE and every hidden field are echoed,
 * each answer is checked against its field's type and options. Unknown names, fixed fields and wrong shapes are errors,
 * never sent. Fields not answered are left out (the service keeps their current value).
 */
export function buildSubmitForm(form: DataForm, answers: Readonly<Record<string, FieldAnswer>>, limits: FormLimits = DEFAULT_LIMITS): { ok: true; element: Element } | { ok: false; error: string } {
  const byVar = new Map(form.fields.filter((f) => f.var !== null).map((f) => [f.var!, f]));
  const out: Element[] = [];
  for (const f of form.fields) {
    if (f.type === 'hidden' && f.var && !(f.var in answers)) out.push(fieldEl(f.var, f.values));
  }
  for (const [name, answer] of Object.entries(answers)) {
    const f = byVar.get(name);
    if (!f) return { ok: false, error: `no field ${name}` };
    if (f.type === 'fixed') return { ok: false, error: `${name} is fixed` };
    const values = answerValues(f, answer);
    if (typeof values === 'string') return { ok: false, error: `${name}: ${values}` };
    if (values.length > limits.maxValuesPerField || values.some((s) => s.length > limits.maxValueChars)) return { ok: false, error: `${name}: too long` };
    if (values.some((s) => !isXmlText(s))) return { ok: false, error: `${name}: characters XML cannot carry` };
    out.push(fieldEl(name, values));
  }
  return { ok: true, element: xml('x', { xmlns: NS_DATA, type: 'submit' }, ...out) };
}

function answerValues(f: FormField, a: FieldAnswer): string[] | string {
  switch (f.type) {
    case 'boolean':
      return typeof a === 'boolean' ? [a ? '1' : '0'] : 'expects a boolean';
    case 'list-single':
      if (typeof a !== 'string') return 'expects one value';
      return f.options.length === 0 || f.options.some((o) => o.value === a) ? [a] : 'not one of the options';
    case 'list-multi':
      if (!Array.isArray(a)) return 'expects a list';
      return (a as string[]).every((v) => f.options.length === 0 || f.options.some((o) => o.value === v)) ? [...(a as string[])] : 'not one of the options';
    case 'jid-single':
      if (typeof a !== 'string') return 'expects one JID';
      return a === '' || parseJid(a) ? [a] : 'not a JID';
    case 'jid-multi':
      if (!Array.isArray(a)) return 'expects a list of JIDs';
      return (a as string[]).every((j) => parseJid(j)) ? [...(a as string[])] : 'not a JID';
    case 'text-multi':
      if (typeof a === 'string') return a.split('\n');
      return Array.isArray(a) ? [...(a as string[])] : 'expects text';
    case 'hidden':
      if (typeof a === 'string') return [a];
      return Array.isArray(a) ? [...(a as string[])] : 'expects text';
    default:
      return typeof a === 'string' ? [a] : 'expects text';
  }
}

function fieldEl(name: string, values: readonly string[]): Element {
  return xml('field', { var: name }, ...values.map((v) => xml('value', {}, v)));
}

/** `<x type='cancel'/>`: declining to fill a form (e.g. leaving a new room's configuration, XEP-0045 §10.1.3). */
export function buildCancelForm(): Element {
  return xml('x', { xmlns: NS_DATA, type: 'cancel' });
}
