/**
 * The model behind the generic data-form renderer (XEP-0004): which control each field gets, the answers a form starts
 * with, what is wrong with them, and the `Record<var, string[]>` that `roomConfigure` takes. No DOM, so it is unit-tested.
 *
 * Answers are kept as string lists per field var: booleans '1'/'0' (XEP-0004 §3.3), single-valued types at most one
 * value, text-multi and jid-multi one value per line as typed (cleaned only when submitted, so typing is not disturbed).
 */
import type { DataFormDTO } from '../../../../server/realtime/contract.js';
import { isJid } from './jid.js';

export type FormField = DataFormDTO['fields'][number];
export type Answers = Readonly<Record<string, readonly string[]>>;

/** The server refuses larger forms; a hostile one can still be huge, so the tab never renders more than this. */
export const MAX_SHOWN_FIELDS = 200;
/** Per field, as the contract bounds a submission (values) and the server's parser (options). */
export const MAX_VALUES = 500;
export const MAX_OPTIONS = 500;
export const MAX_VALUE_CHARS = 4096;
/** Up to this many options a list-multi shows as checkboxes; more become a multi-select. */
export const CHECKBOX_OPTIONS = 12;

export type Control = 'checkbox' | 'fixed' | 'hidden' | 'jid' | 'jids' | 'select' | 'checkboxes' | 'multiselect' | 'textarea' | 'password' | 'text';

export type FieldError = 'required' | 'jid' | 'too-long' | 'too-many' | 'option';

export function controlOf(field: FormField): Control {
  switch (field.type) {
    case 'boolean':
      return 'checkbox';
    case 'fixed':
      return 'fixed';
    case 'hidden':
      return 'hidden';
    case 'jid-single':
      return 'jid';
    case 'jid-multi':
      return 'jids';
    case 'list-single':
      return 'select';
    case 'list-multi':
      return optionsOf(field).length <= CHECKBOX_OPTIONS ? 'checkboxes' : 'multiselect';
    case 'text-multi':
      return 'textarea';
    case 'text-private':
      return 'password';
    default:
      return 'text';
  }
}

/** The fields the tab renders, and how many it leaves out (a form over the cap cannot be submitted from here). */
export function shownFields(form: DataFormDTO): { fields: FormField[]; omitted: number } {
  const fields = form.fields.slice(0, MAX_SHOWN_FIELDS);
  return { fields, omitted: form.fields.length - fields.length };
}

export function optionsOf(field: FormField): FormField['options'] {
  return field.options.slice(0, MAX_OPTIONS);
}

/** A field that carries an answer: everything with a var except fixed text. */
function answerable(field: FormField): field is FormField & { var: string } {
  return field.var !== null && field.type !== 'fixed';
}

function truthy(value: string | undefined): boolean {
  const v = value?.trim();
  return v === '1' || v === 'true';
}

/** The answers a form starts with: its current values, booleans normalised to '1'/'0'. */
export function initialAnswers(form: DataFormDTO): Record<string, string[]> {
  const answers: Record<string, string[]> = {};
  for (const field of shownFields(form).fields) {
    if (!answerable(field)) continue;
    if (field.type === 'boolean') answers[field.var] = [truthy(field.values[0]) ? '1' : '0'];
    else if (isMulti(field)) answers[field.var] = field.values.slice(0, MAX_VALUES);
    else answers[field.var] = field.values.length > 0 ? [field.values[0]!] : [];
  }
  return answers;
}

function isMulti(field: FormField): boolean {
  return field.type === 'hidden' || field.type === 'jid-multi' || field.type === 'list-multi' || field.type === 'text-multi';
}

/** The values one field's answer submits: lines cleaned, empty single values left out. */
function cleaned(field: FormField, answer: readonly string[]): string[] {
  switch (field.type) {
    case 'boolean':
      return [truthy(answer[0]) ? '1' : '0'];
    case 'hidden':
      return field.values.slice(0, MAX_VALUES); // echoed as the service sent it
    case 'jid-multi':
      return answer.map((line) => line.trim()).filter((line) => line !== '');
    case 'text-multi':
      return answer.length === 1 && answer[0] === '' ? [] : [...answer];
    case 'list-multi': {
      const chosen = new Set(answer);
      return optionsOf(field).map((o) => o.value).filter((v) => chosen.has(v));
    }
    case 'jid-single': {
      const v = (answer[0] ?? '').trim();
      return v === '' ? [] : [v];
    }
    default: {
      const v = answer[0] ?? '';
      return v === '' ? [] : [v];
    }
  }
}

/** What is wrong with one field's answer, or null. */
export function fieldError(field: FormField, answer: readonly string[] | undefined): FieldError | null {
  if (!answerable(field) || field.type === 'hidden' || field.type === 'boolean') return null;
  const values = cleaned(field, answer ?? []);
  if (field.required && (values.length === 0 || values.every((v) => v.trim() === ''))) return 'required';
  if (values.length > MAX_VALUES) return 'too-many';
  if (values.some((v) => v.length > MAX_VALUE_CHARS)) return 'too-long';
  if ((field.type === 'jid-single' || field.type === 'jid-multi') && values.some((v) => !isJid(v))) return 'jid';
  if (field.type === 'list-single' && values.length > 0 && field.options.length > 0 && !optionsOf(field).some((o) => o.value === values[0])) return 'option';
  return null;
}

/** Every field's error, by var; empty when the form can be submitted. */
export function formErrors(form: DataFormDTO, answers: Answers): Record<string, FieldError> {
  const errors: Record<string, FieldError> = {};
  for (const field of shownFields(form).fields) {
    const error = fieldError(field, field.var === null ? undefined : answers[field.var]);
    if (error && field.var !== null) errors[field.var] = error;
  }
  return errors;
}

/** The `values` of `roomConfigure`: one entry per answerable field, hidden ones echoed, fixed text and unchosen lists left out. */
export function submission(form: DataFormDTO, answers: Answers): Record<string, string[]> {
  const values: Record<string, string[]> = {};
  for (const field of shownFields(form).fields) {
    if (!answerable(field)) continue;
    const v = cleaned(field, answers[field.var] ?? []);
    // A list-single with no choice: nothing valid to send, so left out (the room keeps what it has).
    if (field.type === 'list-single' && v.length === 0) continue;
    values[field.var] = v;
  }
  return values;
}

/** Lines of a textarea as values, and back: lossless, so what the user types stays as typed. */
export function linesOf(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

export function textOf(lines: readonly string[]): string {
  return lines.join('\n');
}
