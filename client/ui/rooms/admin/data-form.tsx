/**
 * A generic XEP-0004 form, rendered from the DataFormDTO the server parsed and bounded: every field type, labels and
 * descriptions as text (a hostile room's labels never become markup), required marks, errors in words. Hidden fields
 * are not shown but echoed. More than MAX_SHOWN_FIELDS fields are not rendered at all: a notice says so and the form
 * cannot be submitted from here (a partial configuration sent back would change settings nobody saw).
 */
import { useState } from 'preact/hooks';
import type { DataFormDTO } from '../../../../server/realtime/contract.js';
import { t, type MessageKey } from '../../../i18n/index.js';
import {
  CHECKBOX_OPTIONS, MAX_VALUE_CHARS, controlOf, formErrors, initialAnswers, linesOf, optionsOf, shownFields, submission, textOf,
  type Answers, type FieldError, type FormField,
} from './form-model.js';

const ERROR_TEXT: Record<FieldError, MessageKey> = {
  required: 'roomAdmin.form.errorRequired',
  jid: 'roomAdmin.form.errorJid',
  'too-long': 'roomAdmin.form.errorTooLong',
  'too-many': 'roomAdmin.form.errorTooMany',
  option: 'roomAdmin.form.errorOption',
};

let formCount = 0;

export interface DataFormProps {
  form: DataFormDTO;
  submitLabel: string;
  busy?: boolean;
  onSubmit: (values: Record<string, string[]>) => void;
  onCancel?: () => void;
}

export function DataForm({ form, submitLabel, busy = false, onSubmit, onCancel }: DataFormProps) {
  const [answers, setAnswers] = useState<Answers>(() => initialAnswers(form));
  const [tried, setTried] = useState(false);
  const [prefix] = useState(() => `data-form-${++formCount}`);
  const { fields, omitted } = shownFields(form);
  const errors = tried ? formErrors(form, answers) : {};
  const change = (name: string, values: string[]): void => setAnswers((a) => ({ ...a, [name]: values }));

  return (
    <form class="data-form" data-testid="data-form" noValidate autocomplete="off" onSubmit={(e) => {
      e.preventDefault();
      setTried(true);
      if (omitted > 0 || Object.keys(formErrors(form, answers)).length > 0) return;
      onSubmit(submission(form, answers));
    }}>
      {form.title ? <h3 class="data-form-title" data-testid="data-form-title">{form.title}</h3> : null}
      {form.instructions.map((line, i) => <p key={i} class="data-form-instructions">{line}</p>)}
      {omitted > 0 ? (
        <p class="form-error" role="alert" data-testid="data-form-too-big">{t('roomAdmin.form.tooBig', { count: form.fields.length, shown: fields.length })}</p>
      ) : null}
      {fields.map((field, i) => (
        <FieldView key={`${i}:${field.var ?? ''}`} field={field} id={`${prefix}-${i}`} answer={field.var === null ? [] : answers[field.var] ?? []}
          error={field.var === null ? null : errors[field.var] ?? null} onChange={change} />
      ))}
      <div class="data-form-actions">
        <button type="submit" class="button-primary" data-testid="data-form-submit" disabled={busy || omitted > 0}>{submitLabel}</button>
        {onCancel ? <button type="button" class="button-quiet" data-testid="data-form-cancel" onClick={onCancel}>{t('roomAdmin.cancel')}</button> : null}
      </div>
      {tried && Object.keys(errors).length > 0 ? <p class="form-error" role="alert">{t('roomAdmin.form.fix')}</p> : null}
    </form>
  );
}

export interface FieldViewProps {
  field: FormField;
  /** The control's element id (labels and descriptions point at it). */
  id: string;
  answer: readonly string[];
  error: FieldError | null;
  onChange: (name: string, values: string[]) => void;
}

/** One field: a pure function of its props (no hooks), so the unit test renders it by calling it. */
export function FieldView({ field, id, answer, error, onChange }: FieldViewProps) {
  const control = controlOf(field);
  if (control === 'hidden') return null;
  const label = field.label ?? field.var ?? '';
  if (control === 'fixed') {
    return (
      <div class="data-form-field data-form-fixed" data-testid="data-form-field" data-type={field.type}>
        {field.label ? <p class="data-form-label">{field.label}</p> : null}
        {field.values.map((v, i) => <p key={i} class="data-form-fixed-text">{v}</p>)}
      </div>
    );
  }
  const name = field.var!;
  const describedBy = [field.desc ? `${id}-desc` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, 'aria-required': field.required || undefined, 'data-var': name };
  const text = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value;
  const labelEl = (
    <label class="data-form-label" for={id}>
      {label}
      {field.required ? <span class="data-form-required" title={t('roomAdmin.form.required')}> *</span> : null}
    </label>
  );
  let input;
  switch (control) {
    case 'checkbox':
      return (
        <div class="data-form-field data-form-boolean" data-testid="data-form-field" data-type={field.type}>
          <input type="checkbox" {...common} checked={answer[0] === '1'} onChange={(e) => onChange(name, [(e.currentTarget as HTMLInputElement).checked ? '1' : '0'])} />
          {labelEl}
          <Extras field={field} id={id} error={error} />
        </div>
      );
    case 'checkboxes': {
      const chosen = new Set(answer);
      return (
        <fieldset class="data-form-field data-form-choices" data-testid="data-form-field" data-type={field.type} id={id} aria-describedby={describedBy} data-var={name}>
          <legend class="data-form-label">{label}{field.required ? <span class="data-form-required" title={t('roomAdmin.form.required')}> *</span> : null}</legend>
          {optionsOf(field).slice(0, CHECKBOX_OPTIONS).map((o, i) => (
            <label key={i} class="data-form-choice">
              <input type="checkbox" value={o.value} checked={chosen.has(o.value)} onChange={(e) => {
                const next = new Set(chosen);
                if ((e.currentTarget as HTMLInputElement).checked) next.add(o.value);
                else next.delete(o.value);
                onChange(name, [...next]);
              }} />
              {o.label ?? o.value}
            </label>
          ))}
          <Extras field={field} id={id} error={error} />
        </fieldset>
      );
    }
    case 'select': {
      const value = answer[0] ?? '';
      const options = optionsOf(field);
      input = (
        <select {...common} value={value} onChange={(e) => onChange(name, [(e.currentTarget as HTMLSelectElement).value].filter((v) => v !== ''))}>
          {value === '' || !options.some((o) => o.value === value) ? <option value={value}>{value === '' ? t('roomAdmin.form.none') : value}</option> : null}
          {options.map((o, i) => <option key={i} value={o.value}>{o.label ?? o.value}</option>)}
        </select>
      );
      break;
    }
    case 'multiselect': {
      const chosen = new Set(answer);
      input = (
        <select {...common} multiple size={8} onChange={(e) => onChange(name, [...(e.currentTarget as HTMLSelectElement).selectedOptions].map((o) => o.value))}>
          {optionsOf(field).map((o, i) => <option key={i} value={o.value} selected={chosen.has(o.value)}>{o.label ?? o.value}</option>)}
        </select>
      );
      break;
    }
    case 'textarea':
    case 'jids':
      input = (
        <textarea {...common} rows={control === 'jids' ? 4 : 3} spellcheck={control !== 'jids'} value={textOf(answer)}
          placeholder={control === 'jids' ? t('roomAdmin.form.jidsPlaceholder') : undefined} onInput={(e) => onChange(name, linesOf(text(e)))} />
      );
      break;
    case 'password':
      input = <input {...common} type="password" maxLength={MAX_VALUE_CHARS} value={answer[0] ?? ''} autocomplete="new-password" onInput={(e) => onChange(name, [text(e)])} />;
      break;
    default:
      input = (
        <input {...common} type="text" maxLength={MAX_VALUE_CHARS} value={answer[0] ?? ''} autocomplete="off"
          spellcheck={control === 'jid' ? false : undefined} autocapitalize={control === 'jid' ? 'none' : undefined}
          inputMode={control === 'jid' ? 'email' : undefined} placeholder={control === 'jid' ? t('roomAdmin.form.jidPlaceholder') : undefined}
          onInput={(e) => onChange(name, [text(e)])} />
      );
  }
  return (
    <div class="data-form-field" data-testid="data-form-field" data-type={field.type}>
      {labelEl}
      {input}
      <Extras field={field} id={id} error={error} />
    </div>
  );
}

function Extras({ field, id, error }: { field: FormField; id: string; error: FieldError | null }) {
  return (
    <>
      {field.desc ? <p class="field-hint data-form-desc" id={`${id}-desc`}>{field.desc}</p> : null}
      {error ? <p class="form-error data-form-error" id={`${id}-error`} data-testid="data-form-error">{t(ERROR_TEXT[error])}</p> : null}
    </>
  );
}
