/** The login form's fields, validated; a local part alone is completed with the default domain. */
import { z } from 'zod';
import { parseJid } from '../stanza/jid.js';

export const loginFormSchema = z.object({
  jid: z.string().trim().min(1, 'Enter your XMPP address.').max(3071),
  password: z.string().min(1, 'Enter your password.').max(1024),
  remember: z.literal('on').optional(),
});

export type LoginForm = z.output<typeof loginFormSchema>;

export type JidCheck = { ok: true; jid: string } | { ok: false; error: string };

export function normaliseLoginJid(raw: string, defaultDomain: string | null, allowed: string[] | '*'): JidCheck {
  const withDomain = !raw.includes('@') && defaultDomain ? `${raw}@${defaultDomain}` : raw;
  const jid = parseJid(withDomain);
  if (!jid || !jid.local || jid.resource) return { ok: false, error: 'That is not a valid XMPP address (user@example.org).' };
  if (allowed !== '*' && !allowed.includes(jid.domain)) {
    return { ok: false, error: `This instance only serves accounts on ${allowed.join(', ')}.` };
  }
  return { ok: true, jid: jid.bare };
}
