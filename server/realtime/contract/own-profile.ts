/** The own-profile part of the contract: the user edits their nickname and vCard fields (XEP-0292, XEP-0054). */
import { z } from 'zod';
import type { ProfileDTO } from '../contract.js';
import { PROFILE_LIMITS } from '../../stanza/vcard.js';

const { shortChars, urlChars, noteChars, listEntries } = PROFILE_LIMITS;
/** Trimmed; empty is no value. Longer than the limit is an error the form shows, never a silent cut. */
const one = (max: number) => z.string().trim().max(max).nullable().default(null).transform((v) => (v ? v : null));
const many = (max: number) => z.array(z.string().trim().max(max)).max(listEntries).default([]).transform((vs) => [...new Set(vs.filter((v) => v !== ''))]);
/** What a web page may link to: http(s) only (a javascript: URL in our own vCard would reach every contact). */
const webUrl = z.string().trim().max(urlChars).refine((v) => v === '' || /^https?:\/\/[^\s]+$/i.test(v), 'a website must start with http:// or https://');

export const ownProfileFields = z
  .object({
    fn: one(shortChars),
    nickname: one(shortChars),
    emails: z.array(z.string().trim().max(shortChars).refine((v) => v === '' || /^[^\s@]+@[^\s@]+$/.test(v), 'not an email address')).max(listEntries).default([])
      .transform((vs) => [...new Set(vs.filter((v) => v !== ''))]),
    tels: many(shortChars),
    urls: z.array(webUrl).max(listEntries).default([]).transform((vs) => [...new Set(vs.filter((v) => v !== ''))]),
    org: one(shortChars),
    title: one(shortChars),
    bday: z.string().trim().nullable().default(null).refine((v) => !v || /^\d{4}-\d{2}-\d{2}$/.test(v), 'a birthday is YYYY-MM-DD')
      .transform((v) => (v ? v : null)),
    note: one(noteChars),
    locality: one(shortChars),
    country: one(shortChars),
  })
  .strict();

export const ownProfileSchemas = {
  /** Saves the user's own profile to vcard-temp, the vCard4 PEP node and the nickname node. */
  setOwnProfile: ownProfileFields,
} as const;

export interface OwnProfileResults {
  setOwnProfile: { profile: ProfileDTO; stored: { vcardTemp: string; vcard4: string; nick: string } };
}

export interface OwnProfileEvents {
  /** The user's own profile was saved (in this or another tab). */
  ownProfile: (e: { profile: ProfileDTO }) => void;
}
