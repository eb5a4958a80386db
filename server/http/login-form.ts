/**
 * The login form's fields, validated; a local part alone is completed with the default domain.
 * Messages are catalog keys (client/i18n/catalog/pages.en.ts), put into the page's language by formError.
 */
import { z } from 'zod';
import { parseJid } from '../stanza/jid.js';
import { translateEn, type ServerTranslate } from '../../client/i18n/english.js';
import { isMessageKey } from '../../client/i18n/catalog/en.js';

export const loginFormSchema = z.object({
  jid: z.string().trim().min(1, 'login.formJidMissing').max(3071),
  password: z.string().min(1, 'login.formPasswordMissing').max(1024),
  remember: z.literal('on').optional(),
});

export type LoginForm = z.output<typeof loginFormSchema>;

/** A schema issue's message in the page's language: ours are catalog keys; zod's own get the generic text. */
export function formError(message: string | undefined, t: ServerTranslate, values?: Record<string, number>): string {
  return isMessageKey(message) ? t(message, values) : t('login.formInvalid');
}

export type JidCheck = { ok: true; jid: string } | { ok: false; error: string };

export function normaliseLoginJid(raw: string, defaultDomain: string | null, allowed: string[] | '*', t: ServerTranslate = translateEn): JidCheck {
  const withDomain = !raw.includes('@') && defaultDomain ? `${raw}@${defaultDomain}` : raw;
  const jid = parseJid(withDomain);
  if (!jid || !jid.local || jid.resource) return { ok: false, error: t('jid.invalid') };
  if (allowed !== '*' && !allowed.includes(jid.domain)) {
    return { ok: false, error: t('jid.foreignDomain', { domains: allowed.join(', ') }) };
  }
  return { ok: true, jid: jid.bare };
}
