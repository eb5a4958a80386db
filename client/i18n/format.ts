/**
 * Dates, times, numbers and sizes in the chosen language. Each function reads `locale.value`, so a component that
 * calls it re-renders on a language change; the Intl formatters are made once per locale.
 */
import { locale } from './index.js';

interface Formatters {
  time: Intl.DateTimeFormat;
  day: Intl.DateTimeFormat;
  date: Intl.DateTimeFormat;
  full: Intl.DateTimeFormat;
  shortDay: Intl.DateTimeFormat;
  number: Intl.NumberFormat;
  size: Intl.NumberFormat;
  sizeFraction: Intl.NumberFormat;
}

const cache = new Map<string, Formatters>();

function formatters(tag: string): Formatters {
  let f = cache.get(tag);
  if (!f) {
    f = {
      time: new Intl.DateTimeFormat(tag, { hour: '2-digit', minute: '2-digit' }),
      day: new Intl.DateTimeFormat(tag, { weekday: 'short', hour: '2-digit', minute: '2-digit' }),
      date: new Intl.DateTimeFormat(tag, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }),
      full: new Intl.DateTimeFormat(tag, { dateStyle: 'full', timeStyle: 'medium' }),
      shortDay: new Intl.DateTimeFormat(tag, { day: 'numeric', month: 'short' }),
      number: new Intl.NumberFormat(tag),
      size: new Intl.NumberFormat(tag, { maximumFractionDigits: 0, useGrouping: false }),
      sizeFraction: new Intl.NumberFormat(tag, { maximumFractionDigits: 1, useGrouping: false }),
    };
    cache.set(tag, f);
  }
  return f;
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "Mon 14:05" this week, "3 Mar, 14:05" before (each in the locale's own form). */
export function messageTime(stamp: string, now = new Date()): string {
  const d = new Date(stamp);
  if (Number.isNaN(d.getTime())) return '';
  const f = formatters(locale.value);
  if (sameDay(d, now)) return f.time.format(d);
  if (now.getTime() - d.getTime() < 6 * 86_400_000) return f.day.format(d);
  return f.date.format(d);
}

/** Compact form for the contact list: the time today, else the date. */
export function listTime(stamp: string, now = new Date()): string {
  const d = new Date(stamp);
  if (Number.isNaN(d.getTime())) return '';
  const f = formatters(locale.value);
  return sameDay(d, now) ? f.time.format(d) : f.shortDay.format(d);
}

/** Date and time in full, for a tooltip; an unreadable stamp is shown as it is. */
export function fullTime(stamp: string): string {
  const d = new Date(stamp);
  return Number.isNaN(d.getTime()) ? stamp : formatters(locale.value).full.format(d);
}

/** "1,234.5" / "1.234,5" / "1 234,5". */
export function formatNumber(n: number): string {
  return formatters(locale.value).number.format(n);
}

/** French writes octets. */
const SIZE_UNITS: Record<string, readonly string[]> = {
  fr: ['o', 'Ko', 'Mo', 'Go', 'To'],
  other: ['B', 'KB', 'MB', 'GB', 'TB'],
};

/** "532 B", "12.3 KB", "4.1 MB" (powers of 1024; "12,3 KB" in German, "12,3 Ko" in French). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  const f = formatters(locale.value);
  const units = SIZE_UNITS[locale.value] ?? SIZE_UNITS.other!;
  if (n < 1024) return `${f.size.format(n)} ${units[0]}`;
  let v = n / 1024;
  let i = 1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${(v >= 100 ? f.size : f.sizeFraction).format(v)} ${units[i]}`;
}
