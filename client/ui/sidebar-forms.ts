/** The own-presence selector and the "add contact" form of the sidebar. */
import type { Presence } from '../../server/realtime/contract.js';
import type { AppState } from '../state/app-state.js';
import type { RunCommand } from '../app/socket.js';
import { byId } from './dom.js';

type SettableShow = Exclude<Presence, 'unavailable'>;
const SETTABLE: readonly SettableShow[] = ['available', 'chat', 'away', 'xa', 'dnd'];

export function mountPresenceSelect(state: AppState, run: RunCommand): void {
  const select = byId<HTMLSelectElement>('presence-select');
  const dot = byId('own-presence');
  const render = (): void => {
    const show: SettableShow = state.own.show === 'unavailable' ? 'available' : state.own.show;
    select.value = show;
    dot.className = `presence-dot presence-${show}`;
  };
  state.own.subscribe(render);
  select.addEventListener('change', () => {
    const show = select.value as SettableShow;
    if (!SETTABLE.includes(show)) return;
    const previous = state.own.show;
    state.own.set({ show });
    run('setPresence', { show, status: state.own.status }).catch(() => state.own.set({ show: previous }));
  });
  render();
}

const BARE_JID = /^[^@/\s]+@[^@/\s]+$/;

export function mountAddContact(state: AppState, run: RunCommand): void {
  const form = byId<HTMLFormElement>('add-contact');
  const input = byId<HTMLInputElement>('add-contact-jid');
  const submit = byId<HTMLButtonElement>('add-contact-submit');
  const message = byId('add-contact-message');

  const say = (text: string | null, isError = false): void => {
    message.textContent = text ?? '';
    message.hidden = text === null;
    message.classList.toggle('form-error', isError);
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const jid = input.value.trim().toLowerCase();
    if (!BARE_JID.test(jid)) return say('Enter an address like name@example.org.', true);
    if (jid === state.own.account) return say('That is your own address.', true);
    submit.disabled = true;
    say(null);
    run('addContact', { jid, name: null })
      .then(() => {
        state.contacts.addPending(jid, null);
        input.value = '';
        say(`Added ${jid}. They will see your request.`);
      })
      .catch((err: Error) => say(err.message, true))
      .finally(() => (submit.disabled = false));
  });
}
