/**
 * The tab's own preferences, kept in this browser (localStorage): theme and notifications. Language lives in
 * client/i18n. Applied at start, before the first render, so the page does not flash in the wrong theme.
 */
import { signal } from '@preact/signals';
import { hashForPeer } from './router.js';

export type Theme = 'system' | 'light' | 'dark';
const THEME_KEY = 'parley.theme';
const NOTIFY_KEY = 'parley.notifications';

function storedTheme(): Theme {
  const v = localStorage.getItem(THEME_KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export const theme = signal<Theme>(storedTheme());
export const notificationsWanted = signal(localStorage.getItem(NOTIFY_KEY) === 'on');

export function applyTheme(next: Theme = theme.value): void {
  theme.value = next;
  if (next === 'system') {
    localStorage.removeItem(THEME_KEY);
    delete document.documentElement.dataset.theme;
  } else {
    localStorage.setItem(THEME_KEY, next);
    document.documentElement.dataset.theme = next;
  }
}

/** Turns notifications on (asking the browser's permission first) or off; resolves with what is in effect. */
export async function setNotifications(on: boolean): Promise<boolean> {
  if (on && typeof Notification !== 'undefined' && Notification.permission !== 'granted') {
    on = (await Notification.requestPermission()) === 'granted';
  }
  notificationsWanted.value = on && typeof Notification !== 'undefined';
  localStorage.setItem(NOTIFY_KEY, notificationsWanted.value ? 'on' : 'off');
  return notificationsWanted.value;
}

/** A system notification for a message that arrived while the tab is hidden; one per conversation (tag) across tabs. */
export function notify(title: string, body: string, peer: string): void {
  if (!notificationsAllowed()) return;
  if (document.visibilityState === 'visible') return;
  showNotification(title, body, peer);
}

/**
 * Turned on in this browser and permitted by it. Read from localStorage each time: the tab that shows notifications
 * (client/notify) is not always the one where they were turned on or off.
 */
export function notificationsAllowed(): boolean {
  return localStorage.getItem(NOTIFY_KEY) === 'on' && typeof Notification !== 'undefined' && Notification.permission === 'granted';
}

/** Shows one; a click opens the conversation in this tab. */
export function showNotification(title: string, body: string, peer: string): void {
  const n = new Notification(title, { body, tag: `parley:${peer}` });
  n.onclick = () => {
    window.focus();
    location.hash = hashForPeer(peer);
    n.close();
  };
}
