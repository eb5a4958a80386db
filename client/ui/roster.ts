/** The contact list: recent conversations and contacts, with presence, last message and unread count. */
import { rosterEntries, type AppState, type RosterEntry } from '../state/app-state.js';
import { hashForPeer } from '../app/router.js';
import { avatar } from './avatar.js';
import { batched, h } from './dom.js';
import { listTime, presenceLabel } from './format.js';

export function mountRoster(state: AppState, list: HTMLUListElement, emptyNote: HTMLElement): { render: () => void } {
  // Keyed by JID so a re-render keeps the elements (and keyboard focus) of unchanged contacts.
  const items = new Map<string, HTMLLIElement>();
  const signatures = new WeakMap<HTMLLIElement, string>();

  const render = (): void => {
    const entries = rosterEntries(state);
    const seen = new Set<string>();
    let cursor = list.firstChild;
    for (const entry of entries) {
      seen.add(entry.jid);
      let item = items.get(entry.jid);
      if (!item) {
        item = h('li', { class: 'contact-item' });
        items.set(entry.jid, item);
      }
      const active = entry.jid === state.openPeer;
      // Unchanged entries keep their elements: no flicker, and clicks in flight land on a live node.
      const signature = JSON.stringify([entry, active, entry.lastStamp ? listTime(entry.lastStamp) : '']);
      if (signatures.get(item) !== signature) {
        signatures.set(item, signature);
        fill(item, entry, active);
      }
      if (item === cursor) cursor = cursor.nextSibling;
      else list.insertBefore(item, cursor);
    }
    for (const [jid, item] of items) {
      if (!seen.has(jid)) {
        item.remove();
        items.delete(jid);
      }
    }
    emptyNote.hidden = entries.length > 0;
  };

  const schedule = batched(render);
  state.contacts.subscribe(schedule);
  state.conversations.subscribe(schedule);
  state.own.subscribe(schedule);
  render();
  return { render: schedule };
}

function fill(item: HTMLLIElement, entry: RosterEntry, active: boolean): void {
  const secondary = entry.lastText ?? entry.status ?? (entry.pending ? 'Waiting for approval' : entry.name !== entry.jid ? entry.jid : presenceLabel(entry.show));
  const link = h(
    'a',
    {
      class: `contact${active ? ' active' : ''}${entry.unread > 0 ? ' has-unread' : ''}`,
      testid: 'contact',
      data: { jid: entry.jid },
      attrs: { href: hashForPeer(entry.jid), 'aria-current': active ? 'page' : undefined },
    },
    avatar(entry.jid, entry.name, entry.show),
    h(
      'span',
      { class: 'contact-text' },
      h('span', { class: 'contact-line' }, h('span', { class: 'contact-name', text: entry.name }), entry.lastStamp ? h('span', { class: 'contact-time', text: listTime(entry.lastStamp) }) : null),
      h(
        'span',
        { class: 'contact-line' },
        h('span', { class: 'contact-preview', text: secondary }),
        entry.unread > 0 ? h('span', { class: 'unread-badge', text: entry.unread > 99 ? '99+' : String(entry.unread), attrs: { 'aria-label': `${entry.unread} unread` } }) : null,
      ),
    ),
  );
  const old = item.firstElementChild;
  const hadFocus = old !== null && old === document.activeElement;
  item.replaceChildren(link);
  if (hadFocus) link.focus();
}
