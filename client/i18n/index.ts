/**
 * The one i18n layer: every text the user reads goes through `t()`, with ICU messages (plurals, selects, numbers).
 * `t()` reads the `locale` signal, so a component that calls it re-renders when the language changes. German and
 * French catalogs are separate chunks, loaded when chosen: English users never download them. The browser carries
 * the app page's texts only (catalog/app.*.ts); the server-rendered pages' texts stay on the server.
 */
import { signal } from '@preact/signals';
import { app } from './catalog/app.en.js';
import { DEFAULT_LOCALE, LOCALE_COOKIE, LOCALE_STORAGE_KEY, detectLocale, directionOf, isLocale, type Locale } from './locales.js';
import { createTranslator, englishTranslator, type Translate, type Values } from './translate.js';

/** The keys the browser knows: the app page's. */
export type MessageKey = keyof typeof app;
export type { Values } from './translate.js';
export { LOCALES, detectLocale, directionOf, isLocale, type Locale } from './locales.js';

export const locale = signal<Locale>(DEFAULT_LOCALE);

const english: Translate<MessageKey> = englishTranslator<MessageKey>(app);
const translators = new Map<Locale, Translate<MessageKey>>([['en', english]]);

const loaders: Record<Exclude<Locale, 'en'>, () => Promise<Partial<Record<MessageKey, string>>>> = {
  de: () => import('./catalog/app.de.js').then((m) => m.appDe),
  fr: () => import('./catalog/app.fr.js').then((m) => m.appFr),
};

/** The text of `key` in the current language (English where it has none); never throws. */
export function t(key: MessageKey, values?: Values): string {
  const translate = translators.get(locale.value) ?? english;
  return translate(key, values);
}

async function load(tag: Locale): Promise<void> {
  if (translators.has(tag) || tag === 'en') return;
  const catalog = await loaders[tag]();
  translators.set(tag, createTranslator(tag, catalog, english));
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
  const stored = storedLocale();
  if (stored) persist(stored); // renews the cookie, so the server pages keep following the choice
  const tag = stored ?? detectLocale(nav?.languages?.length ? nav.languages : nav?.language ? [nav.language] : []);
  try {
    await load(tag);
    apply(tag);
  } catch (err) {
    console.warn(`[i18n] could not load the ${tag} catalog; English instead`, err);
    apply(DEFAULT_LOCALE);
  }
  return locale.value;
}

