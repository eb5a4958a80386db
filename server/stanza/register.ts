/**
 * XEP-0077 in-band registration: the stream feature, what the server asks for (legacy fields or a data form),
 * the submission of user name + password, and what an error answer means. Pure: no I/O.
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export const NS_REGISTER = 'jabber:iq:register';
export const NS_REGISTER_FEATURE = 'http://jabber.org/features/iq-register';
const NS_DATA = 'jabber:x:data';
const NS_OOB = 'jabber:x:oob';
const NS_BOB = 'urn:xmpp:bob';
const NS_MEDIA = 'urn:xmpp:media-element';
const NS_CAPTCHA = 'urn:xmpp:captcha';

/** The fields Parley can fill in. */
const OURS = new Set(['username', 'password']);
/** Children of a legacy query that ask for nothing. */
const HARMLESS = new Set(['instructions', 'username', 'password', 'registered', 'x']);
/** XEP-0158 answer fields: a CAPTCHA, which a server-side client cannot solve for the user. */
const CAPTCHA_FIELDS = new Set(['audio_recog', 'ocr', 'picture_q', 'picture_recog', 'qa', 'speech_q', 'speech_recog', 'video_q', 'video_recog']);

/** Whether the stream features (before authentication) announce in-band registration. */
export function offersRegistration(features: Element): boolean {
  return !!features.getChild('register', NS_REGISTER_FEATURE);
}

export function buildRegisterGet(): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS_REGISTER }));
}

export interface HiddenField {
  name: string;
  value: string;
}

/** What the server asked for, and whether Parley can answer it. */
export type RegistrationForm =
  /** legacy `<username/><password/>` (XEP-0077 §3) */
  | { kind: 'fields' }
  /** a data form that requires nothing beyond user name and password; hidden fields are sent back as they came */
  | { kind: 'data-form'; hidden: HiddenField[] }
  /** a CAPTCHA, other required fields, a redirection to a web page, or nothing usable */
  | { kind: 'unsupported'; reason: 'captcha' | 'extra-fields' | 'website' | 'no-fields'; url: string | null };

/** Reads the result of the registration get (the iq, or its query). */
export function parseRegisterForm(iq: Element): RegistrationForm {
  const query = iq.is('query', NS_REGISTER) ? iq : iq.getChild('query', NS_REGISTER);
  const url = webUrl(query?.getChild('x', NS_OOB)?.getChildText('url'));
  if (!query) return { kind: 'unsupported', reason: 'no-fields', url };
  if (iq.getChild('data', NS_BOB) || query.getChild('data', NS_BOB)) return { kind: 'unsupported', reason: 'captcha', url };
  const legacy = !!query.getChild('username') && !!query.getChild('password');

  const form = query.getChildren('x', NS_DATA).find((x) => (x.attrs.type ?? 'form') === 'form');
  if (form) {
    const fields = form.getChildren('field');
    const formType = fields.find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value')?.trim();
    if (formType === NS_CAPTCHA || fields.some((f) => CAPTCHA_FIELDS.has(String(f.attrs.var)) || f.getChild('media', NS_MEDIA))) {
      return { kind: 'unsupported', reason: 'captcha', url };
    }
    const hidden: HiddenField[] = [];
    for (const field of fields) {
      const name = String(field.attrs.var ?? '');
      const value = field.getChildText('value') ?? '';
      if (OURS.has(name) || field.attrs.type === 'fixed') continue;
      if (field.attrs.type === 'hidden' && name) hidden.push({ name, value });
      else if (field.getChild('required')) return { kind: 'unsupported', reason: 'extra-fields', url };
    }
    // The form says what is required; legacy elements beside it are then optional (Prosody lists both).
    if (legacy) return { kind: 'fields' };
    const names = new Set(fields.map((f) => f.attrs.var));
    if (names.has('username') && names.has('password')) return { kind: 'data-form', hidden };
    return { kind: 'unsupported', reason: url ? 'website' : 'no-fields', url };
  }

  if (legacy) {
    // Without a form, every listed field is required (XEP-0077 §3.1).
    const extra = query.getChildElements().some((c) => !HARMLESS.has(c.name));
    return extra ? { kind: 'unsupported', reason: 'extra-fields', url } : { kind: 'fields' };
  }
  return { kind: 'unsupported', reason: url ? 'website' : 'no-fields', url };
}

/** The registration set for an answerable form. */
export function buildRegisterSet(form: Exclude<RegistrationForm, { kind: 'unsupported' }>, username: string, password: string): Element {
  if (form.kind === 'fields') {
    return xml('iq', { type: 'set' }, xml('query', { xmlns: NS_REGISTER }, xml('username', {}, username), xml('password', {}, password)));
  }
  const field = (name: string, value: string) => xml('field', { var: name }, xml('value', {}, value));
  const hidden = form.hidden.filter((h) => h.name !== 'FORM_TYPE');
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'query',
      { xmlns: NS_REGISTER },
      xml('x', { xmlns: NS_DATA, type: 'submit' }, field('FORM_TYPE', NS_REGISTER), ...hidden.map((h) => field(h.name, h.value)), field('username', username), field('password', password)),
    ),
  );
}

/** What a registration error means for the person registering. */
export type RegisterRefusal = 'taken' | 'invalid' | 'closed' | 'busy' | 'other';

export interface RegisterError {
  refusal: RegisterRefusal;
  condition: string;
  /** the server's own explanation, if any (untrusted text: render as text) */
  text: string | null;
}

/** Classifies an `<iq type='error'>` answer to the registration get or set (XEP-0077 §3.1, §8). */
export function parseRegisterError(iq: Element): RegisterError {
  const error = iq.getChild('error');
  const condition = error?.getChildElements().find((c) => c.getNS() === NS.stanzas && c.name !== 'text')?.name ?? 'undefined-condition';
  const raw = error?.getChildText('text', NS.stanzas)?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const text = raw ? raw.slice(0, 200) : null;
  return { refusal: refusalOf(condition, error?.attrs.type), condition, text };
}

function refusalOf(condition: string, type: string | undefined): RegisterRefusal {
  switch (condition) {
    case 'conflict':
      return 'taken';
    case 'not-acceptable':
    case 'bad-request':
    case 'jid-malformed':
      return 'invalid';
    case 'not-allowed':
    case 'forbidden':
    case 'service-unavailable':
    case 'feature-not-implemented':
    case 'registration-required':
      return 'closed';
    case 'resource-constraint':
      return 'busy';
    case 'policy-violation':
      // Prosody's registration throttle says policy-violation of type wait; type modify is e.g. "encryption required".
      return type === 'wait' ? 'busy' : 'other';
    default:
      return 'other';
  }
}

/** An http(s) URL from an XEP-0066 redirection, or null. */
function webUrl(raw: string | undefined | null): string | null {
  const s = raw?.trim();
  if (!s || s.length > 500) return null;
  try {
    const url = new URL(s);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ the account's own management (XEP-0077 §3.3, §3.2)

/** The longest password Parley sends (the form refuses longer ones before anything reaches the server). */
export const MAX_PASSWORD_LENGTH = 1024;

/** XEP-0077 §3.3: a logged-in user changes their password; addressed to their own server. */
export function buildPasswordChange(domain: string, username: string, password: string): Element {
  return xml('iq', { type: 'set', to: domain }, xml('query', { xmlns: NS_REGISTER }, xml('username', {}, username), xml('password', {}, password)));
}

/** XEP-0077 §3.2: a logged-in user cancels (deletes) their account; addressed to their own server. */
export function buildAccountRemove(domain: string): Element {
  return xml('iq', { type: 'set', to: domain }, xml('query', { xmlns: NS_REGISTER }, xml('remove')));
}

/** Why the server refused a password change or an account removal, for the person asking. */
export type AccountChangeRefusal = 'not-allowed' | 'not-acceptable' | 'not-authorized' | 'other';

/** Classifies the error answer to buildPasswordChange / buildAccountRemove. */
export function parseAccountChangeError(iq: Element): { refusal: AccountChangeRefusal; condition: string; text: string | null } {
  const { condition, text } = parseRegisterError(iq);
  const refusal: AccountChangeRefusal =
    condition === 'not-allowed' || condition === 'forbidden' || condition === 'service-unavailable' || condition === 'feature-not-implemented'
      ? 'not-allowed'
      : condition === 'not-acceptable' || condition === 'bad-request' || condition === 'policy-violation'
        ? 'not-acceptable'
        : condition === 'not-authorized' || condition === 'registration-required'
          ? 'not-authorized'
          : 'other';
  return { refusal, condition, text };
}
