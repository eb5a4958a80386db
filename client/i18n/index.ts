/**
 * The one i18n layer: every text the user reads goes through `t()`, with ICU messages (plurals, selects, numbers).
 * `t()` reads the `locale` signal, so a component that calls it re-renders when the language changes.
 */
import { signal } from '@preact/signals';
import { IntlMessageFormat } from 'intl-messageformat';
import { en, type Catalog, type MessageKey } from './catalog/en.js';

export type { MessageKey } from './catalog/en.js';
export type Values = Record<string, string | number | Date>;

export const locale = signal('en');
let catalog: Partial<Catalog> = en;
const compiled = new Map<string, IntlMessageFormat>();

export function t(key: MessageKey, values?: Values): string {
  const tag = locale.value;
  const source = catalog[key] ?? en[key] ?? key;
  const cacheKey = `${tag}\u0000${key}`;
  let format = compiled.get(cacheKey);
  if (!format) {
    format = new IntlMessageFormat(source, tag);
    compiled.set(cacheKey, format);
  }
  return String(format.format(values));
}

/** The languages Parley is translated into, in their own names. */
export const LOCALES = { en: 'English', de: 'Deutsch', fr: 'Français' } as const;
export type Locale = keyof typeof LOCALES;

/** Switches the tab's language (placeholder until the catalogs load lazily). */
export async function setLocale(tag: Locale): Promise<void> {
  locale.value = tag;
}
