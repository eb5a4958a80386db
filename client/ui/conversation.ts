/**
 * The open conversation: header, the ordered message list, loading older history on scroll up (the
 * scroll position stays on what the reader was looking at), and read markers for what is on screen.
 */
import type { MessageDTO } from '../../server/realtime/contract.js';
import type { AppState } from '../state/app-state.js';
import type { RunCommand } from '../app/socket.js';
import { avatar } from './avatar.js';
import { batched, byId, h } from './dom.js';
import { presenceLabel } from './format.js';
import { messageItem } from './message-item.js';
import { ReadMarker } from '../state/read-marker.js';

const PAGE = 50;
/** Start loading older messages this close to the top, so scrolling rarely has to wait. */
const LOAD_MARGIN_PX = 300;
const STICK_TO_BOTTOM_PX = 80;

export interface ConversationView {
  /** Shows `peer` (null: none) and loads its newest page if needed. */
  open(peer: string | null): void;
  /** After a reconnect: refresh the open conversation's newest page. */
  reload(): void;
  scrollToBottom(): void;
}

export function mountConversation(state: AppState, run: RunCommand, isConnected: () => boolean): ConversationView {
  const section = byId('conversation');
  const empty = byId('chat-empty');
  const title = byId('conversation-title');
  const subtitle = byId('conversation-subtitle');
  const headerAvatar = byId('conversation-avatar');
  const scroller = byId('message-list');
  const list = byId<HTMLOListElement>('messages');
  const status = byId('history-status');

  const items = new Map<string, { message: MessageDTO; el: HTMLLIElement }>();
  const loading = new Set<string>();
  const loadErrors = new Map<string, string>();
  const marker = new ReadMarker((peer, id) => run('markDisplayed', { peer, id }));
  let shownPeer: string | null = null;

  const renderHeader = (): void => {
    const peer = state.openPeer;
    if (!peer) return;
    const name = state.contacts.displayName(peer);
    const presence = state.contacts.presence(peer);
    title.textContent = name;
    const parts = [presenceLabel(presence.show)];
    if (presence.status) parts.push(presence.status);
    if (name !== peer) parts.push(peer);
    subtitle.textContent = parts.join(' · ');
    headerAvatar.replaceChildren(avatar(peer, name, presence.show));
  };

  /** The first message at least partly visible, and its offset from the top of the viewport. */
  const anchor = (): { el: HTMLElement; offset: number } | null => {
    for (let el = list.firstElementChild as HTMLElement | null; el; el = el.nextElementSibling as HTMLElement | null) {
      if (el.offsetTop + el.offsetHeight > scroller.scrollTop) return { el, offset: el.offsetTop - scroller.scrollTop };
    }
    return null;
  };

  const nearBottom = (): boolean => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_TO_BOTTOM_PX;

  const renderMessages = (): void => {
    const peer = state.openPeer;
    if (!peer) return;
    const conv = state.messages.get(peer);
    const peerChanged = shownPeer !== peer;
    const stick = peerChanged || nearBottom();
    const keep = peerChanged ? null : anchor();
    if (peerChanged) {
      list.replaceChildren();
      items.clear();
      shownPeer = peer;
    }

    // Keyed reconciliation: existing bubbles are reused, replaced only when their message changed.
    const seen = new Set<string>();
    let cursor = list.firstChild;
    for (const message of conv.messages) {
      seen.add(message.id);
      let item = items.get(message.id);
      if (!item || item.message !== message) {
        const el = messageItem(message);
        if (item) item.el.replaceWith(el);
        if (item && cursor === item.el) cursor = el;
        item = { message, el };
        items.set(message.id, item);
      }
      if (item.el === cursor) cursor = cursor.nextSibling;
      else list.insertBefore(item.el, cursor);
    }
    for (const [id, item] of items) {
      if (!seen.has(id)) {
        item.el.remove();
        items.delete(id);
      }
    }

    if (stick) scroller.scrollTop = scroller.scrollHeight;
    else if (keep) scroller.scrollTop = keep.el.offsetTop - keep.offset;
    renderStatus();
    markDisplayed();
    fillViewport();
  };

  const renderStatus = (): void => {
    const peer = state.openPeer;
    if (!peer) return;
    const conv = state.messages.get(peer);
    const error = loadErrors.get(peer);
    status.replaceChildren();
    if (error) {
      const retry = h('button', { class: 'link-button', text: 'Retry', attrs: { type: 'button' } });
      retry.addEventListener('click', () => (conv.loaded ? loadOlder(peer) : loadLatest(peer)));
      status.append(h('span', { text: `Could not load messages: ${error} ` }), retry);
    } else if (loading.has(peer)) {
      status.textContent = 'Loading messages…';
    } else if (conv.loaded && !conv.hasMore) {
      status.textContent = conv.messages.length ? 'This is the beginning of your conversation.' : 'No messages yet. Say hello!';
    }
  };

  const loadLatest = (peer: string): void => {
    if (loading.has(peer) || !isConnected()) return;
    loading.add(peer);
    loadErrors.delete(peer);
    renderStatus();
    run('history', { peer, limit: PAGE })
      .then((page) => state.messages.addLatestPage(peer, page.messages, page.hasMore))
      .catch((err: Error) => loadErrors.set(peer, err.message))
      .finally(() => {
        loading.delete(peer);
        scheduleMessages();
      });
  };

  const loadOlder = (peer: string): void => {
    const conv = state.messages.get(peer);
    if (!conv.loaded) return loadLatest(peer);
    if (!conv.hasMore || loading.has(peer) || !isConnected()) return;
    loading.add(peer);
    loadErrors.delete(peer);
    renderStatus();
    run('history', { peer, before: state.messages.oldest(peer), limit: PAGE })
      .then((page) => state.messages.addOlderPage(peer, page.messages, page.hasMore))
      .catch((err: Error) => loadErrors.set(peer, err.message))
      .finally(() => {
        loading.delete(peer);
        scheduleMessages();
      });
  };

  /** Keep loading while the list does not fill the viewport or the reader is at the top. */
  const fillViewport = (): void => {
    const peer = state.openPeer;
    if (!peer || loadErrors.has(peer)) return;
    if (scroller.scrollTop < LOAD_MARGIN_PX || scroller.scrollHeight <= scroller.clientHeight) loadOlder(peer);
  };

  /**
   * Tells the server what this tab shows: it sends the chat marker (XEP-0333) and clears unread everywhere. Only the
   * newest incoming message counts, and ReadMarker paces the commands: a burst of messages costs a few, not one each.
   */
  const markDisplayed = (): void => {
    const peer = state.openPeer;
    if (!peer || document.visibilityState !== 'visible' || !isConnected()) return;
    const messages = state.messages.get(peer).messages;
    let newestIn: MessageDTO | undefined;
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]!.direction === 'in') {
        newestIn = messages[i];
        break;
      }
    }
    if (!newestIn) return;
    if (newestIn.state === 'displayed' && (state.conversations.get(peer)?.unread ?? 0) === 0) return;
    if (marker.shown(peer, newestIn.id)) state.conversations.onRead(peer, newestIn.id);
  };

  const scheduleMessages = batched(renderMessages);
  const scheduleHeader = batched(renderHeader);
  state.messages.subscribe(() => {
    if (state.messages.lastChanged === null || state.messages.lastChanged === state.openPeer) scheduleMessages();
  });
  state.contacts.subscribe(scheduleHeader);
  scroller.addEventListener('scroll', () => {
    if (state.openPeer && scroller.scrollTop < LOAD_MARGIN_PX) loadOlder(state.openPeer);
  }, { passive: true });
  document.addEventListener('visibilitychange', markDisplayed);

  return {
    open(peer) {
      state.openPeer = peer;
      section.hidden = peer === null;
      empty.hidden = peer !== null;
      document.body.classList.toggle('chat-open', peer !== null);
      if (!peer) {
        shownPeer = null;
        return;
      }
      renderHeader();
      renderMessages();
      if (!state.messages.get(peer).loaded) loadLatest(peer);
    },
    reload() {
      const peer = state.openPeer;
      if (!peer) return;
      marker.forget(peer);
      loadLatest(peer);
      renderHeader();
      scheduleMessages();
    },
    scrollToBottom() {
      scroller.scrollTop = scroller.scrollHeight;
    },
  };
}

/** Reads new incoming messages aloud for screen readers (the list itself is not live: history pages would flood it). */
export function announce(region: HTMLElement, text: string): void {
  const line = h('p', { text });
  region.append(line);
  while (region.childElementCount > 5) region.firstElementChild?.remove();
}
