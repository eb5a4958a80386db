/** The sidebar's head: the account, its presence (settable), the settings link and logging out. */
import type { Presence } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { presenceLabel } from '../format.js';
import { t } from '../../i18n/index.js';
import { Avatar } from '../avatar.js';

type SettableShow = Exclude<Presence, 'unavailable'>;
const SETTABLE: readonly SettableShow[] = ['available', 'chat', 'away', 'xa', 'dnd'];

export function MeHeader() {
  const { state, run, csrfToken } = useServices();
  state.own.revision.value;
  const show: SettableShow = state.own.show === 'unavailable' ? 'available' : state.own.show;
  const account = state.own.account;

  const change = (e: Event): void => {
    const next = (e.currentTarget as HTMLSelectElement).value as SettableShow;
    if (!SETTABLE.includes(next)) return;
    const previous = state.own.show;
    state.own.set({ show: next });
    run('setPresence', { show: next, status: state.own.status }).catch(() => state.own.set({ show: previous }));
  };

  return (
    <header class="me">
      <Avatar jid={account} name={account} show={null} />
      <div class="me-text">
        <bdi class="me-jid" title={account}>{account}</bdi>
        <label class="visually-hidden" for="presence-select">{t('me.status')}</label>
        <select id="presence-select" class="presence-select" data-testid="presence-select" value={show} onChange={change}>
          {SETTABLE.map((s) => <option key={s} value={s}>{presenceLabel(s)}</option>)}
        </select>
      </div>
      <a class="button-quiet icon-button" href="#settings" data-testid="settings-open" title={t('me.settings')} aria-label={t('me.settings')}>⚙</a>
      <form method="post" action="/logout" class="logout-form">
        <input type="hidden" name="_csrf" value={csrfToken} />
        <button type="submit" class="button-quiet" data-testid="logout">{t('me.logout')}</button>
      </form>
    </header>
  );
}
