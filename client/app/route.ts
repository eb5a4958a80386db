/**
 * What the tab shows lives in the URL hash, so a reload, the back button or a shared link reopen it:
 * `#chat/<jid>` a conversation, `#settings` the settings page, `#join/<room or xmpp: link>` the join dialog over the
 * list, nothing the contact list.
 */
import { signal } from '@preact/signals';
import { hashForPeer, peerFromHash, roomFromJoinUri } from './router.js';

export type Route = { view: 'home' } | { view: 'chat'; peer: string } | { view: 'settings' } | { view: 'join'; room: string | null };

export function parseRoute(hash: string): Route {
  if (hash === '#settings') return { view: 'settings' };
  if (hash === '#join') return { view: 'join', room: null };
  const join = /^#join\/(.+)$/s.exec(hash);
  if (join) {
    let text = join[1]!;
    try {
      text = decodeURIComponent(text);
    } catch {
      return { view: 'join', room: null };
    }
    return { view: 'join', room: roomFromJoinUri(text) };
  }
  const peer = peerFromHash(hash);
  return peer ? { view: 'chat', peer } : { view: 'home' };
}

export function hashFor(route: Route): string {
  if (route.view === 'settings') return '#settings';
  if (route.view === 'join') return route.room ? `#join/${encodeURIComponent(route.room).replace(/%40/g, '@')}` : '#join';
  return route.view === 'chat' ? hashForPeer(route.peer) : '#';
}

export const route = signal<Route>(parseRoute(location.hash));
window.addEventListener('hashchange', () => (route.value = parseRoute(location.hash)));

export function navigate(to: Route): void {
  location.hash = hashFor(to);
}
