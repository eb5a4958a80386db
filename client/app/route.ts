/**
 * What the tab shows lives in the URL hash, so a reload, the back button or a shared link reopen it:
 * `#chat/<jid>` a conversation, `#settings` the settings page, nothing the contact list.
 */
import { signal } from '@preact/signals';
import { hashForPeer, peerFromHash } from './router.js';

export type Route = { view: 'home' } | { view: 'chat'; peer: string } | { view: 'settings' };

export function parseRoute(hash: string): Route {
  if (hash === '#settings') return { view: 'settings' };
  const peer = peerFromHash(hash);
  return peer ? { view: 'chat', peer } : { view: 'home' };
}

export function hashFor(route: Route): string {
  if (route.view === 'settings') return '#settings';
  return route.view === 'chat' ? hashForPeer(route.peer) : '#';
}

export const route = signal<Route>(parseRoute(location.hash));
window.addEventListener('hashchange', () => (route.value = parseRoute(location.hash)));

export function navigate(to: Route): void {
  location.hash = hashFor(to);
}
