/**
 * The registration form's fields, validated: one clear message per bad field. The address follows the login's
 * rules (a user name alone gets the default domain; the domain must be one this instance serves). The schema's
 * messages are catalog keys, put into the page's language by checkRegistrationForm.
 */
import { z } from 'zod';
import { formError, normaliseLoginJid } from './login-form.js';
import { translateEn, type ServerTranslate } from '../../client/i18n/english.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

export const registrationFormSchema = z.object({
  jid: z
    .string({ error: 'register.formJidMissing' })
    .trim()
    .min(1, 'register.formJidMissing')
    .max(1024, 'register.formJidTooLong'),
  password: z
    .string({ error: 'register.formPasswordMissing' })
    .min(1, 'register.formPasswordMissing')
    .min(PASSWORD_MIN, 'register.formPasswordShort')
    .max(PASSWORD_MAX, 'register.formPasswordLong'),
  confirm: z.string({ error: 'register.formConfirmMissing' }).min(1, 'register.formConfirmMissing').max(PASSWORD_MAX, 'register.formConfirmLong'),
  remember: z.literal('on', { error: 'register.formInvalidChoice' }).optional(),
});

export type RegistrationField = 'jid' | 'password' | 'confirm' | 'remember';
export type FieldErrors = Partial<Record<RegistrationField, string>>;

export type RegistrationCheck =
  | { ok: true; jid: string; password: string; remember: boolean }
  | { ok: false; errors: FieldErrors };

/** Validates the posted body; never throws on hostile input (arrays, missing or huge fields). */
export function checkRegistrationForm(body: unknown, defaultDomain: string | null, allowed: string[] | '*', t: ServerTranslate = translateEn): RegistrationCheck {
  const parsed = registrationFormSchema.safeParse(body ?? {});
  const errors: FieldErrors = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as RegistrationField | undefined;
      if (field && !errors[field]) errors[field] = formError(issue.message, t, { min: PASSWORD_MIN, max: PASSWORD_MAX });
    }
  }
  const raw = (body ?? {}) as Record<string, unknown>;
  let jid: string | null = null;
  if (!errors.jid && typeof raw.jid === 'string') {
    const check = normaliseLoginJid(raw.jid.trim(), defaultDomain, allowed, t);
    if (check.ok) jid = check.jid;
    else errors.jid = check.error;
  }
  if (!errors.password && !errors.confirm && raw.password !== raw.confirm) errors.confirm = t('register.formMismatch');
  if (!parsed.success || !jid || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, jid, password: parsed.data.password, remember: !!parsed.data.remember };
}
