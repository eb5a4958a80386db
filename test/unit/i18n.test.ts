import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { detectLocale, directionOf } from '../../client/i18n/locales.js';
import { createTranslator, splitMessage } from '../../client/i18n/translate.js';
import { translateEn } from '../../client/i18n/english.js';
import type { MessageKey } from '../../client/i18n/catalog/en.js';
import { initLocale, locale, setLocale, t } from '../../client/i18n/index.js';
import { formatBytes, formatNumber, fullTime, listTime, messageTime } from '../../client/i18n/format.js';
import { requestLocale } from '../../server/http/locale.js';

test('detectLocale takes the first supported language by its language subtag, else English', () => {
  assert.equal(detectLocale(['de-AT', 'en-US']), 'de');
  assert.equal(detectLocale(['es-ES', 'fr-CA', 'de']), 'fr');
  assert.equal(detectLocale(['FR_be']), 'fr');
  assert.equal(detectLocale(['ja', 'zh-Hant-TW']), 'en');
  assert.equal(detectLocale([]), 'en');
  assert.equal(detectLocale(['', '-', 'de']), 'de');
});

test('Arabic and Hebrew are written right to left, the rest left to right', () => {
  assert.equal(directionOf('ar-EG'), 'rtl');
  assert.equal(directionOf('he'), 'rtl');
  assert.equal(directionOf('de'), 'ltr');
});

test('plurals follow the language: 1 Nachricht, 2 Nachrichten; 1 caractère, 8 caractères', () => {
  const de = createTranslator<MessageKey>('de', { 'app.titleUnread': '{count, plural, one {# Nachricht} other {# Nachrichten}}' }, translateEn);
  assert.equal(de('app.titleUnread', { count: 1 }), '1 Nachricht');
  assert.equal(de('app.titleUnread', { count: 2 }), '2 Nachrichten');
  assert.equal(de('app.titleUnread', { count: 1234 }), '1.234 Nachrichten');
  const fr = createTranslator<MessageKey>('fr', { 'register.passwordHint': 'Au moins {min, plural, one {# caractère} other {# caractères}}.' }, translateEn);
  assert.equal(fr('register.passwordHint', { min: 1 }), 'Au moins 1 caractère.');
  assert.equal(fr('register.passwordHint', { min: 8 }), 'Au moins 8 caractères.');
  // French counts 0 as singular, English does not.
  assert.equal(fr('register.passwordHint', { min: 0 }), 'Au moins 0 caractère.');
  assert.equal(translateEn('register.passwordHint', { min: 1 }), 'At least 1 character.');
  assert.equal(translateEn('register.passwordHint', { min: 8 }), 'At least 8 characters.');
});

test('a missing translation gives English; an unknown key gives the key; each warned about once', (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const de = createTranslator<MessageKey>('de', {}, translateEn);
  assert.equal(de('login.wrongPassword'), 'Wrong address or password.');
  assert.equal(de('no.such.key' as MessageKey), 'no.such.key');
  const first = warn.mock.callCount();
  assert.ok(first >= 2, 'both were warned about');
  assert.equal(de('login.wrongPassword'), 'Wrong address or password.');
  assert.equal(de('no.such.key' as MessageKey), 'no.such.key');
  assert.equal(warn.mock.callCount(), first, 'not again');
});

test('a translation that does not parse or format gives English, never a throw', (t) => {
  t.mock.method(console, 'warn', () => {});
  const broken = createTranslator<MessageKey>('fr', { 'xmpp.timeout': '{domain, plural, one {x}', 'admin.noticeEnded': 'La session de {jid, date, ::invalid' }, translateEn);
  assert.equal(broken('xmpp.timeout', { domain: 'example.org' }), 'The XMPP server of example.org did not answer in time. Try again later.');
  assert.doesNotThrow(() => broken('admin.noticeEnded', { jid: 'a@b' }));
  // A value missing for English too: the English text as written beats the key.
  assert.equal(createTranslator<MessageKey>('de', {}, translateEn)('admin.noticeEnded'), 'The session of {jid} has ended; its tabs were sent to the login page.');
});

test('values are text, not ICU: braces and apostrophes in a domain stay as they are', () => {
  assert.equal(translateEn('xmpp.timeout', { domain: "{evil}'s" }), "The XMPP server of {evil}'s did not answer in time. Try again later.");
});

test('splitMessage keeps marked arguments apart for markup, in the order the language puts them', () => {
  const de = createTranslator<MessageKey>('de', { 'login.jidHint': 'Für Konten auf {domain} genügt Ihr Name.' }, translateEn);
  assert.deepEqual(splitMessage(de, 'login.jidHint', { domain: 'example.org' }, ['domain']), [
    { text: 'Für Konten auf ' },
    { text: 'example.org', arg: 'domain' },
    { text: ' genügt Ihr Name.' },
  ]);
  assert.deepEqual(splitMessage(translateEn, 'register.jidHintDomain', { name: 'name', domain: 'example.org' }, ['name']), [
    { text: 'Your address will be ' },
    { text: 'name', arg: 'name' },
    { text: '@example.org.' },
  ]);
});

test('setLocale loads a catalog and switches t(): 1 ungelesene Nachricht, 2 ungelesene Nachrichten; an unsupported tag means English', async () => {
  await setLocale('de');
  assert.equal(locale.value, 'de');
  assert.equal(t('roster.unread', { count: 1 }), '1 ungelesene Nachricht');
  assert.equal(t('roster.unread', { count: 2 }), '2 ungelesene Nachrichten');
  await setLocale('fr');
  assert.equal(t('roster.unread', { count: 0 }), '0 message non lu');
  assert.equal(t('roster.unread', { count: 2 }), '2 messages non lus');
  await setLocale('klingon');
  assert.equal(locale.value, 'en');
  assert.equal(t('roster.unread', { count: 1 }), '1 unread message');
  assert.equal(t('roster.unread', { count: 0 }), '0 unread messages');
});

test('initLocale follows the browser languages when nothing was chosen', async (t) => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { languages: ['fr-CH', 'de'], language: 'fr-CH' }, configurable: true });
  t.after(() => (saved ? Object.defineProperty(globalThis, 'navigator', saved) : delete (globalThis as { navigator?: unknown }).navigator));
  assert.equal(await initLocale(), 'fr');
  assert.equal(locale.value, 'fr');
  locale.value = 'en';
});

test('times and dates follow the locale', () => {
  const at = new Date(2026, 2, 3, 14, 5); // local time: the formats use the local zone
  const sameDay = new Date(2026, 2, 3, 20, 0);
  const later = new Date(2026, 4, 20, 9, 0);
  const stamp = at.toISOString();
  try {
    locale.value = 'en';
    assert.match(messageTime(stamp, sameDay), /^02:05\sPM$/);
    assert.match(messageTime(stamp, later), /Mar 3.*02:05\sPM/);
    assert.equal(listTime(stamp, later), 'Mar 3');
    assert.match(fullTime(stamp), /^Tuesday, March 3, 2026/);
    locale.value = 'de';
    assert.equal(messageTime(stamp, sameDay), '14:05');
    assert.match(messageTime(stamp, later), /^3\. März.*14:05$/);
    assert.equal(listTime(stamp, later), '3. März');
    assert.match(fullTime(stamp), /^Dienstag, 3\. März 2026/);
    locale.value = 'fr';
    assert.equal(messageTime(stamp, sameDay), '14:05');
    assert.equal(listTime(stamp, later), '3 mars');
    assert.match(fullTime(stamp), /^mardi 3 mars 2026/);
    assert.equal(messageTime('not a date'), '');
    assert.equal(fullTime('not a date'), 'not a date');
  } finally {
    locale.value = 'en';
  }
});

test('numbers and sizes follow the locale; English sizes read as before', () => {
  try {
    locale.value = 'en';
    assert.deepEqual([formatBytes(532), formatBytes(1023), formatBytes(12.3 * 1024), formatBytes(4.1 * 1024 ** 2), formatBytes(150 * 1024)], ['532 B', '1023 B', '12.3 KB', '4.1 MB', '150 KB']);
    assert.equal(formatBytes(-1), '');
    assert.equal(formatNumber(1234.5), '1,234.5');
    locale.value = 'de';
    assert.equal(formatBytes(12.3 * 1024), '12,3 KB');
    assert.equal(formatNumber(1234.5), '1.234,5');
    locale.value = 'fr';
    assert.equal(formatBytes(12.3 * 1024), '12,3 Ko');
    assert.equal(formatBytes(532), '532 o');
    assert.match(formatNumber(1234.5), /^1\s234,5$/);
  } finally {
    locale.value = 'en';
  }
});

test('a page request takes the parley_locale cookie, else Accept-Language, else English', () => {
  const req = (headers: Record<string, string>) => Object.assign(Object.create(express.request), { headers }) as express.Request;
  assert.equal(requestLocale(req({ 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' })), 'de');
  assert.equal(requestLocale(req({ 'accept-language': 'es, fr-CA;q=0.5' })), 'fr');
  assert.equal(requestLocale(req({ 'accept-language': 'ja' })), 'en');
  assert.equal(requestLocale(req({})), 'en');
  assert.equal(requestLocale(req({ 'accept-language': 'de-DE', cookie: 'sid=x; parley_locale=fr' })), 'fr');
  assert.equal(requestLocale(req({ 'accept-language': 'de-DE', cookie: 'parley_locale=xx' })), 'de');
  assert.equal(requestLocale(req({ 'accept-language': 'de', cookie: '%%%;;=' })), 'de');
});

test('the choice is kept in localStorage and a SameSite=Lax cookie for the server pages, and wins over the browser languages', async (t) => {
  const stored = new Map<string, string>();
  const cookies: string[] = [];
  const root = { lang: '', dir: '' };
  const fakes = {
    localStorage: { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) },
    document: { documentElement: root, set cookie(v: string) { cookies.push(v); } },
    navigator: { languages: ['de-DE'], language: 'de-DE' },
  };
  for (const [name, value] of Object.entries(fakes)) {
    const saved = Object.getOwnPropertyDescriptor(globalThis, name);
    Object.defineProperty(globalThis, name, { value, configurable: true });
    t.after(() => (saved ? Object.defineProperty(globalThis, name, saved) : delete (globalThis as Record<string, unknown>)[name]));
  }
  await setLocale('fr');
  assert.equal(stored.get('parley.locale'), 'fr');
  assert.match(cookies.at(-1)!, /^parley_locale=fr; Path=\/; Max-Age=\d+; SameSite=Lax$/);
  assert.deepEqual(root, { lang: 'fr', dir: 'ltr' });
  locale.value = 'en';
  assert.equal(await initLocale(), 'fr', 'the stored choice, not the German browser');
  assert.equal(root.lang, 'fr');
  stored.set('parley.locale', 'xx');
  assert.equal(await initLocale(), 'de', 'an unusable stored value: the browser languages');
  locale.value = 'en';
});
