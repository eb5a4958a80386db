/**
 * What the profile panel shows, without the DOM: field order and labels, the state sentences, and whether a
 * URL from a contact's vCard may become a link (http and https only; everything else stays text).
 */
import type { ProfileDTO, ProfileState } from '../../server/realtime/contract.js';
import { t, type MessageKey } from '../i18n/index.js';

export type FieldKey = keyof ProfileDTO['fields'];

/** Display order; `key` names the data-testid (profile-field-<key>). */
export const PROFILE_FIELDS: readonly { key: FieldKey; label: MessageKey }[] = [
  { key: 'fn', label: 'profile.field.fn' },
  { key: 'nickname', label: 'profile.field.nickname' },
  { key: 'emails', label: 'profile.field.emails' },
  { key: 'tels', label: 'profile.field.tels' },
  { key: 'urls', label: 'profile.field.urls' },
  { key: 'org', label: 'profile.field.org' },
  { key: 'title', label: 'profile.field.title' },
  { key: 'bday', label: 'profile.field.bday' },
  { key: 'locality', label: 'profile.field.locality' },
  { key: 'country', label: 'profile.field.country' },
  { key: 'note', label: 'profile.field.note' },
];

const STATE_TEXT: Record<Exclude<ProfileState, 'found'>, MessageKey> = {
  empty: 'profile.state.empty',
  forbidden: 'profile.state.forbidden',
  unavailable: 'profile.state.unavailable',
  timeout: 'profile.state.timeout',
  malformed: 'profile.state.malformed',
  error: 'profile.state.error',
};

export function stateText(state: ProfileState): string {
  if (state === 'found') return '';
  return t(STATE_TEXT[state] ?? STATE_TEXT.error);
}

/** The values of a field as a list (single fields give zero or one). */
export function fieldValues(profile: ProfileDTO, key: FieldKey): string[] {
  const value = profile.fields[key];
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string' && v !== '');
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/** The href for a website value, or null when it must stay plain text (javascript:, data:, mailto:, no scheme, ...). */
export function safeWebUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Credentials in a link are a phishing trick ("https://bank.example@evil.example"): show it, do not link it.
  if (url.username !== '' || url.password !== '') return null;
  return url.href;
}
