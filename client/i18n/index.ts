/**
 * The one i18n layer: every text the user reads goes through `t()`, with ICU messages (plurals, selects, numbers).
 * `t()` reads the `locale` signal, so a component that calls it re-renders when the language changes. German and
 * French catalogs are separate chunks, loaded when chosen: English users never download them.
 */
import { signal } from '@preact/signals';
import type { Catalog, MessageKey } from './catalog/en.js';
import { DEFAULT_LOCALE, LOCALE_COOKIE, LOCALE_STORAGE_KEY, detectLocale, directionOf, isLocale, type Locale } from './locales.js';
import { createTranslator, translateEn, type Translate, type Values } from './translate.js';

export type { MessageKey } from './catalog/en.js';
export type { Values, Translate } from './translate.js';
export { LOCALES, detectLocale, directionOf, isLocale, type Locale } from './locales.js';

export const locale = signal<Locale>(DEFAULT_LOCALE);

const translators = new Map<Locale, Translate>([['en', translateEn]]);

const loaders: Record<Exclude<Locale, 'en'>, () => Promise<Partial<Catalog>>> = {
  de: () => import('./catalog/de.js').then((m) => m.de),
  fr: () => import('./catalog/fr.js').then((m) => m.fr),
};

export function t(key: MessageKey, values?: Values): string {
  const translate = translators.get(locale.value) ?? translateEn;
  return translate(key, values);
}

async function load(tag: Locale): Promise<void> {
  if (translators.has(tag) || tag === 'en') return;
  const catalog = await loaders[tag]();
  translators.set(tag, createTranslator(tag, catalog));
}

function apply(tag: Locale): void {
  locale.value = tag;
  if (typeof document !== 'undefined') {
    document.documentElement.lang = tag;
    document.documentElement.dir = directionOf(tag);
  }
}

function storedLocale(): Locale | null {
  try {
    const stored = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY);
    return isLocale(stored) ? stored : null;
  } catch {
    return null; // storage disabled
  }
}

function persist(tag: Locale): void {
  try {
    globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, tag);
  } catch {
    // storage disabled: the cookie still carries the choice
  }
  if (typeof document !== 'undefined') {
    const secure = globalThis.location?.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `${LOCALE_COOKIE}=${tag}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  }
}

/**
 * The person's choice: loads its catalog, remembers it (localStorage and the cookie the server pages read), then
 * switches. An unsupported tag means English. Rejects, changing nothing, when the catalog cannot be loaded.
 */
export async function setLocale(tag: string): Promise<void> {
  const chosen = isLocale(tag) ? tag : DEFAULT_LOCALE;
  await load(chosen);
  persist(chosen);
  apply(chosen);
}

/** For the app entry to await before its first render: the stored choice, else the browser's languages. */
export async function initLocale(): Promise<Locale> {
  const nav = typeof navigator === 'undefined' ? undefined : navigator;
  const tag = storedLocale() ?? detectLocale(nav?.languages?.length ? nav.languages : nav?.language ? [nav.language] : []);
  try {
    await load(tag);
    apply(tag);
  } catch (err) {
    console.warn(`[i18n] could not load the ${tag} catalog; English instead`, err);
    apply(DEFAULT_LOCALE);
  }
  return locale.value;
}

/** The languages Parley is translated into, in their own names. */
export const LOCALES = { en: 'English', de: 'Deutsch', fr: 'Français' } as const;
export type Locale = keyof typeof LOCALES;

/** Switches the tab's language (placeholder until the catalogs load lazily). */
export async function setLocale(tag: Locale): Promise<void> {
  locale.value = tag;
}
