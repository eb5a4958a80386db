/**
 * The language of a server-rendered page: the `parley_locale` cookie (the person's choice in the app) when it
 * names a supported language, else the browser's Accept-Language, else English. The middleware gives every view
 * `t`, `tParts`, `formatDateTime`, `locale` and `dir` (res.locals), from the same catalogs as the browser.
 */
import type { Request, RequestHandler, Response } from 'express';
import { parseCookie } from 'cookie';
import { LOCALE_TAGS, LOCALE_COOKIE, DEFAULT_LOCALE, directionOf, isLocale, type Locale } from '../../client/i18n/locales.js';
import { createTranslator, splitMessage, type MessagePart, type Values } from '../../client/i18n/translate.js';
import { translateEn, type ServerTranslate as Translate } from '../../client/i18n/english.js';
import type { MessageKey } from '../../client/i18n/catalog/en.js';
import { de } from '../../client/i18n/catalog/de.js';
import { fr } from '../../client/i18n/catalog/fr.js';

const translators: Record<Locale, Translate> = { en: translateEn, de: createTranslator('de', de, translateEn), fr: createTranslator('fr', fr, translateEn) };

export function requestLocale(req: Request): Locale {
  try {
    const chosen = parseCookie(req.headers.cookie ?? '')[LOCALE_COOKIE];
    if (isLocale(chosen)) return chosen;
  } catch {
    // a malformed Cookie header: fall through to the browser's languages
  }
  // Negotiator (through express): "de-AT" matches "de"; no header at all gives the first, English.
  const best = req.acceptsLanguages(...LOCALE_TAGS);
  return isLocale(best) ? best : DEFAULT_LOCALE;
}

const dateTimeFormats = new Map<Locale, Intl.DateTimeFormat>();

function dateTimeFormat(locale: Locale): Intl.DateTimeFormat {
  let f = dateTimeFormats.get(locale);
  if (!f) dateTimeFormats.set(locale, (f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'long' })));
  return f;
}

export interface PageLocals {
  locale: Locale;
  dir: 'ltr' | 'rtl';
  t: Translate;
  /** A message in pieces, the named arguments apart, for a view to wrap those in markup (all escaped). */
  tParts: (key: MessageKey, values: Values, marked: readonly string[]) => MessagePart[];
  /** An ISO stamp as the page's language writes it; an unreadable one as it is. */
  formatDateTime: (iso: string) => string;
}

export function pageLocals(locale: Locale): PageLocals {
  const t = translators[locale];
  return {
    locale,
    dir: directionOf(locale),
    t,
    tParts: (key, values, marked) => splitMessage(t, key, values, marked),
    formatDateTime: (iso) => {
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : dateTimeFormat(locale).format(d);
    },
  };
}

export function localeMiddleware(): RequestHandler {
  return (req, res, next) => {
    Object.assign(res.locals, pageLocals(requestLocale(req)));
    // The page's language follows the request's cookie and Accept-Language: caches must keep them apart.
    res.vary('Accept-Language').vary('Cookie');
    next();
  };
}

/** The request's `t` (English before the middleware ran). */
export function translatorOf(res: Response): Translate {
  return (res.locals as Partial<PageLocals>).t ?? translateEn;
}
