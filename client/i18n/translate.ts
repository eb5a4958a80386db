/**
 * Formats ICU messages of one catalog, falling back to English: the shared core of the browser's `t()` and the
 * server-rendered pages. It never throws: a key missing from the catalog gives the English text, a message that
 * fails to parse or format gives the English one, and an unknown key gives the key itself (each logged once).
 * No DOM and no signals, so the server imports it as it is.
 */
import { IntlMessageFormat } from 'intl-messageformat';

export type Values = Record<string, string | number | Date>;
/** `t` over the keys K of one catalog (the browser's: the app's keys; the server's: all of them). */
export type Translate<K extends string = string> = (key: K, values?: Values) => string;
export type Messages<K extends string = string> = Readonly<Record<K, string>>;

const warned = new Set<string>();
function warnOnce(what: string, detail?: unknown): void {
  if (warned.has(what)) return;
  warned.add(what);
  console.warn(`[i18n] ${what}`, ...(detail === undefined ? [] : [detail]));
}

type Compiled = Pick<IntlMessageFormat, 'format'>;

/**
 * Text without any ICU syntax (no arguments, tags or quoting) formats to itself: no parser and no Intl locale
 * look-up for it, which is most of what the first render of the app page would otherwise spend in i18n.
 */
const PLAIN = /^[^{}<>']*$/;
const plain = (text: string): Compiled => ({ format: () => text }) as Compiled;

/** Compiles lazily and keeps each message compiled (null: it did not parse, do not try again). */
function compiler(tag: string, catalog: Partial<Record<string, string>>) {
  const compiled = new Map<string, Compiled | null>();
  return (key: string): Compiled | null | undefined => {
    if (compiled.has(key)) return compiled.get(key);
    const source = Object.hasOwn(catalog, key) ? catalog[key] : undefined;
    if (typeof source !== 'string') return undefined;
    let format: Compiled | null = null;
    try {
      format = PLAIN.test(source) ? plain(source) : new IntlMessageFormat(source, tag);
    } catch (err) {
      warnOnce(`${tag}: message "${key}" does not parse`, err);
    }
    compiled.set(key, format);
    return format;
  };
}

function run(format: Compiled, tag: string, key: string, values?: Values): string | null {
  try {
    const out = format.format(values);
    return Array.isArray(out) ? out.join('') : String(out);
  } catch (err) {
    warnOnce(`${tag}: message "${key}" does not format with ${JSON.stringify(Object.keys(values ?? {}))}`, err);
    return null;
  }
}

/** `t` for the source language: an unknown key gives the key, a broken message its text as written. */
export function englishTranslator<K extends string>(en: Messages<K>): Translate<K> {
  const english = compiler('en', en);
  return (key, values) => {
    const format = english(key);
    if (format === undefined) {
      warnOnce(`unknown message key "${key}"`);
      return key;
    }
    return (format && run(format, 'en', key, values)) ?? en[key];
  };
}

/**
 * `t` for one language over `english` (an englishTranslator of the source catalog): a key the catalog lacks, or
 * whose message fails, is said in English (with English rules: the text is English).
 */
export function createTranslator<K extends string>(tag: string, catalog: Partial<Messages<K>>, english: Translate<K>): Translate<K> {
  if (tag === 'en') return english;
  const own = compiler(tag, catalog);
  return (key, values) => {
    const format = own(key);
    if (format === undefined) warnOnce(`${tag}: no translation for "${key}"`);
    const out = format ? run(format, tag, key, values) : null;
    return out ?? english(key, values);
  };
}

/** One piece of a message split at its arguments (see splitMessage). */
export interface MessagePart {
  text: string;
  /** The argument this piece is the value of, for markup around it (<strong>, <code>). */
  arg?: string;
}

const OPEN = '\uE000';
const CLOSE = '\uE001';

/**
 * The message in pieces, each argument in `marked` its own piece: a page wraps that piece in markup and renders
 * every piece escaped, so no translation is ever inserted as HTML.
 */
export function splitMessage<K extends string>(t: Translate<K>, key: K, values: Values, marked: readonly string[]): MessagePart[] {
  const stand: Values = { ...values };
  for (const name of marked) stand[name] = `${OPEN}${name}${CLOSE}`;
  const parts: MessagePart[] = [];
  for (const [i, piece] of t(key, stand).split(OPEN).entries()) {
    const close = i === 0 ? -1 : piece.indexOf(CLOSE);
    if (close >= 0) {
      const arg = piece.slice(0, close);
      parts.push({ text: String(values[arg] ?? ''), arg });
      if (close + 1 < piece.length) parts.push({ text: piece.slice(close + 1) });
    } else if (piece) parts.push({ text: piece });
  }
  return parts;
}
