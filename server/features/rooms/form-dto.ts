/**
 * A room configuration form between the room and the tab: parsed and bounded forms become DataFormDTO (rendered as
 * text by the tab), and the values a tab submits become typed answers checked against the same form.
 */
import type { DataForm, FieldAnswer, FormError, FormField } from '../../stanza/data-form.js';
import { DEFAULT_LIMITS } from '../../stanza/data-form.js';
import type { DataFormDTO } from '../../realtime/contract/rooms.js';

export function formToDTO(form: DataForm): DataFormDTO {
  return {
    title: form.title,
    instructions: form.instructions,
    fields: form.fields.map((f) => ({
      var: f.var,
      type: f.type,
      label: f.label,
      desc: f.desc,
      required: f.required,
      values: f.values,
      options: f.options.map((o) => ({ label: o.label, value: o.value })),
    })),
  };
}

/** Why a form from a room cannot be shown, in plain words. */
export function formErrorText(e: FormError): string {
  switch (e.error) {
    case 'too-many-fields':
      return `The room sent a configuration form with too many fields (${e.detail}); Parley refuses it rather than show or submit part of it.`;
    case 'too-many-values':
      return `The room sent a configuration form with too many values in one field (${e.detail.slice(0, 64)}).`;
    case 'value-too-long':
      return `The room sent a configuration form with a text longer than ${DEFAULT_LIMITS.maxValueChars} characters (${e.detail.slice(0, 64)}).`;
    case 'duplicate-var':
      return `The room sent a configuration form naming one field twice (${e.detail}).`;
    case 'bad-field':
      return `The room sent a configuration form with a field Parley cannot read (${e.detail || 'no name'}).`;
    default:
      return 'The room did not send a configuration form.';
  }
}

const SINGLE = new Set<FormField['type']>(['text-single', 'text-private', 'list-single', 'jid-single']);

/**
 * The tab's values (strings by field var, booleans as '1'/'0') as typed answers for `buildSubmitForm`, or the reason
 * they cannot be: an unknown or fixed field, a boolean that is not one, several values for a single-valued field.
 */
export function answersFromValues(form: DataForm, values: Record<string, string[]>): { ok: true; answers: Record<string, FieldAnswer> } | { ok: false; error: string } {
  const answers: Record<string, FieldAnswer> = {};
  for (const [name, vals] of Object.entries(values)) {
    const field = form.fields.find((f) => f.var === name);
    const label = name.slice(0, 64);
    if (!field) return { ok: false, error: `The room's form has no field “${label}”.` };
    if (field.type === 'fixed') return { ok: false, error: `The field “${label}” cannot be changed.` };
    if (field.type === 'boolean') {
      const v = vals.length === 1 ? vals[0]!.trim() : null;
      if (v === '1' || v === 'true') answers[name] = true;
      else if (v === '0' || v === 'false') answers[name] = false;
      else return { ok: false, error: `The field “${label}” takes yes or no ('1' or '0').` };
    } else if (SINGLE.has(field.type)) {
      if (vals.length > 1) return { ok: false, error: `The field “${label}” takes one value.` };
      answers[name] = vals[0] ?? '';
    } else {
      answers[name] = vals;
    }
  }
  return { ok: true, answers };
}
