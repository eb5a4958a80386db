/**
 * What the profile panel shows, without the DOM: field order and labels, the state sentences, and whether a
 * URL from a contact's vCard may become a link (http and https only; everything else stays text).
 */
import type { ProfileDTO, ProfileState } from '../../server/realtime/contract.js';

export type FieldKey = keyof ProfileDTO['fields'];

/** Display order; `key` names the data-testid (profile-field-<key>). */
export const PROFILE_FIELDS: readonly { key: FieldKey; label: string }[] = [
  { key: 'fn', label: 'Full name' },
  { key: 'nickname', label: 'Nickname' },
  { key: 'emails', label: 'Email' },
  { key: 'tels', label: 'Phone' },
  { key: 'urls', label: 'Website' },
  { key: 'org', label: 'Organisation' },
  { key: 'title', label: 'Title' },
  { key: 'bday', label: 'Birthday' },
  { key: 'locality', label: 'City' },
  { key: 'country', label: 'Country' },
  { key: 'note', label: 'About' },
];

const STATE_TEXT: Record<ProfileState, string> = {
  found: '',
  empty: 'No profile published.',
  forbidden: 'No profile is shared with you.',
  unavailable: 'Profiles cannot be fetched from this address.',
  timeout: 'Their server did not answer in time.',
  malformed: 'This profile could not be read.',
  error: 'The profile could not be fetched.',
};

export function stateText(state: ProfileState): string {
  return STATE_TEXT[state] ?? STATE_TEXT.error;
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
