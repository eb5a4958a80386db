/** The languages Parley speaks, and how a browser's preference list picks one. No DOM: the server uses it too. */
/** The languages Parley is translated into, in their own names (for the language menu). */
export const LOCALES = { en: 'English', de: 'Deutsch', fr: 'Français' } as const;
export type Locale = keyof typeof LOCALES;
export const LOCALE_TAGS = Object.keys(LOCALES) as Locale[];
export const DEFAULT_LOCALE: Locale = 'en';

/** Where the choice is kept: localStorage for the app, a cookie so the server-rendered pages follow it. */
export const LOCALE_STORAGE_KEY = 'parley.locale';
export const LOCALE_COOKIE = 'parley_locale';

export function isLocale(tag: unknown): tag is Locale {
  return typeof tag === 'string' && Object.hasOwn(LOCALES, tag);
}

/** "de-AT" → "de": the language subtag, lower-cased. */
export function languageOf(tag: string): string {
  return tag.trim().split(/[-_]/)[0]!.toLowerCase();
}

/** The first supported language in the browser's list (navigator.languages, best first); English when none is. */
export function detectLocale(languages: readonly string[]): Locale {
  for (const tag of languages) {
    const language = typeof tag === 'string' ? languageOf(tag) : '';
    if (isLocale(language)) return language;
  }
  return DEFAULT_LOCALE;
}

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'yi', 'dv', 'ckb', 'sd', 'ug']);

/** The writing direction of a language, for <html dir>. */
export function directionOf(tag: string): 'ltr' | 'rtl' {
  return RTL_LANGUAGES.has(languageOf(tag)) ? 'rtl' : 'ltr';
}
