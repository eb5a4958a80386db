/**
 * The registration form's fields, validated: one clear message per bad field. The address follows the login's
 * rules (a user name alone gets the default domain; the domain must be one this instance serves).
 */
import { z } from 'zod';
import { normaliseLoginJid } from './login-form.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

export const registrationFormSchema = z.object({
  jid: z
    .string({ error: 'Choose your new address.' })
    .trim()
    .min(1, 'Choose your new address.')
    .max(1024, 'That address is too long.'),
  password: z
    .string({ error: 'Choose a password.' })
    .min(1, 'Choose a password.')
    .min(PASSWORD_MIN, `Choose a password of at least ${PASSWORD_MIN} characters.`)
    .max(PASSWORD_MAX, `That password is too long (at most ${PASSWORD_MAX} characters).`),
  confirm: z.string({ error: 'Repeat the password.' }).min(1, 'Repeat the password.').max(PASSWORD_MAX, 'Repeat the same password.'),
  remember: z.literal('on', { error: 'Invalid choice.' }).optional(),
});

export type RegistrationField = 'jid' | 'password' | 'confirm' | 'remember';
export type FieldErrors = Partial<Record<RegistrationField, string>>;

export type RegistrationCheck =
  | { ok: true; jid: string; password: string; remember: boolean }
  | { ok: false; errors: FieldErrors };

/** Validates the posted body; never throws on hostile input (arrays, missing or huge fields). */
export function checkRegistrationForm(body: unknown, defaultDomain: string | null, allowed: string[] | '*'): RegistrationCheck {
  const parsed = registrationFormSchema.safeParse(body ?? {});
  const errors: FieldErrors = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as RegistrationField | undefined;
      if (field && !errors[field]) errors[field] = issue.message;
    }
  }
  const raw = (body ?? {}) as Record<string, unknown>;
  let jid: string | null = null;
  if (!errors.jid && typeof raw.jid === 'string') {
    const check = normaliseLoginJid(raw.jid.trim(), defaultDomain, allowed);
    if (check.ok) jid = check.jid;
    else errors.jid = check.error;
  }
  if (!errors.password && !errors.confirm && raw.password !== raw.confirm) errors.confirm = 'The two passwords do not match.';
  if (!parsed.success || !jid || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, jid, password: parsed.data.password, remember: !!parsed.data.remember };
}
