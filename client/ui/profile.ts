/**
 * The profile panel of the open conversation: a button in the conversation header opens it, and it shows the
 * contact's vCard fields as text (textContent only). Websites become links only for http/https.
 */
import type { ProfileDTO } from '../../server/realtime/contract.js';
import type { RunCommand } from '../app/socket.js';
import { byId, h } from './dom.js';
import { PROFILE_FIELDS, fieldValues, safeWebUrl, stateText, type FieldKey } from './profile-fields.js';

export interface ProfileView {
  /** The open conversation changed (null: none): an open panel follows it. */
  follow(peer: string | null): void;
}

export function mountProfile(run: RunCommand): ProfileView {
  const section = byId('conversation');
  const header = section.querySelector('.conversation-header');
  if (!header) throw new Error('The page is missing the conversation header');

  const openButton = h('button', {
    class: 'button-quiet profile-open', testid: 'profile-open', text: 'Profile',
    attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'profile-panel' },
  });
  header.append(openButton);

  const heading = h('h2', { class: 'profile-heading', text: 'Profile', attrs: { id: 'profile-heading' } });
  const refresh = h('button', { class: 'button-quiet', testid: 'profile-refresh', text: 'Refresh', attrs: { type: 'button' } });
  const close = h('button', { class: 'button-quiet', testid: 'profile-close', text: 'Close', attrs: { type: 'button', 'aria-label': 'Close profile' } });
  const status = h('p', { class: 'profile-state', testid: 'profile-state', attrs: { role: 'status' } });
  const list = h('dl', { class: 'profile-fields', testid: 'profile-fields' });
  const panel = h(
    'aside',
    { class: 'profile-panel', testid: 'profile-panel', attrs: { id: 'profile-panel', 'aria-labelledby': 'profile-heading', tabindex: '-1', hidden: '' } },
    h('div', { class: 'profile-bar' }, heading, refresh, close),
    status,
    list,
  );
  header.after(panel);

  let peer: string | null = null;
  /** Only the newest request may render: an older answer for another contact is dropped. */
  let ticket = 0;

  const value = (key: FieldKey, text: string): HTMLElement => {
    const dd = h('dd', { testid: `profile-field-${key}`, attrs: { dir: 'auto' } });
    const href = key === 'urls' ? safeWebUrl(text) : null;
    if (href) dd.append(h('a', { text, attrs: { href, target: '_blank', rel: 'noopener noreferrer nofollow' } }));
    else dd.textContent = text;
    return dd;
  };

  const render = (profile: ProfileDTO): void => {
    panel.dataset.state = profile.state;
    status.textContent = stateText(profile.state);
    status.hidden = status.textContent === '';
    const rows: HTMLElement[] = [];
    for (const { key, label } of PROFILE_FIELDS) {
      const values = fieldValues(profile, key);
      if (values.length === 0) continue;
      rows.push(h('dt', { text: label }), ...values.map((v) => value(key, v)));
    }
    list.replaceChildren(...rows);
    panel.dataset.loaded = profile.jid;
  };

  const load = (fresh: boolean): void => {
    if (!peer) return;
    const mine = ++ticket;
    const jid = peer;
    delete panel.dataset.loaded;
    panel.setAttribute('aria-busy', 'true');
    status.hidden = false;
    status.textContent = 'Loading profile…';
    run('profile', { jid, fresh })
      .then((profile) => {
        if (mine === ticket) render(profile);
      })
      .catch((err: Error) => {
        if (mine !== ticket) return;
        panel.dataset.state = 'error';
        status.textContent = `Could not load the profile: ${err.message}`;
        list.replaceChildren();
      })
      .finally(() => {
        if (mine === ticket) panel.removeAttribute('aria-busy');
      });
  };

  const setOpen = (open: boolean): void => {
    panel.hidden = !open;
    openButton.setAttribute('aria-expanded', String(open));
    if (!open) ticket++;
  };

  openButton.addEventListener('click', () => {
    if (!panel.hidden) return setOpen(false);
    setOpen(true);
    panel.focus();
    load(false);
  });
  refresh.addEventListener('click', () => load(true));
  close.addEventListener('click', () => {
    setOpen(false);
    openButton.focus();
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close.click();
  });

  return {
    follow(next) {
      if (next === peer) return;
      peer = next;
      list.replaceChildren();
      if (!next) setOpen(false);
      else if (!panel.hidden) load(false);
    },
  };
}
