/** Human-readable times and presence names. */
import type { MessageState, Presence } from '../../server/realtime/contract.js';
import { t } from '../i18n/index.js';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const shortDayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "Mon 14:05" this week, "3 Mar, 14:05" before. */
export function messageTime(stamp: string, now = new Date()): string {
  const d = new Date(stamp);
  if (Number.isNaN(d.getTime())) return '';
  if (sameDay(d, now)) return timeFmt.format(d);
  if (now.getTime() - d.getTime() < 6 * 86_400_000) return dayFmt.format(d);
  return dateFmt.format(d);
}

/** Compact form for the contact list: the time today, else the date. */
export function listTime(stamp: string, now = new Date()): string {
  const d = new Date(stamp);
  if (Number.isNaN(d.getTime())) return '';
  return sameDay(d, now) ? timeFmt.format(d) : shortDayFmt.format(d);
}

export function fullTime(stamp: string): string {
  const d = new Date(stamp);
  return Number.isNaN(d.getTime()) ? stamp : fullFmt.format(d);
}

export function presenceLabel(show: Presence): string {
  return t(`presence.${show}`);
}

export function stateLabel(state: MessageState): string {
  return t(`state.${state}`);
}

/** A stable colour slot (0..7) per address, for avatars; a class, because the CSP forbids inline styles. */
export function colourSlot(jid: string): number {
  let hash = 0;
  for (let i = 0; i < jid.length; i++) hash = (hash * 31 + jid.charCodeAt(i)) | 0;
  return Math.abs(hash) % 8;
}

/** Bidi controls and other invisible format characters (Cf): a name starting with U+202E would show an empty avatar. */
const INVISIBLE = /\p{Cf}/gu;

export function initial(name: string): string {
  const first = [...name.replace(INVISIBLE, '').trim()][0];
  return first ? first.toUpperCase() : '?';
}
