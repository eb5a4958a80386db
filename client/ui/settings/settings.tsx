/** The settings page of the tab: language, theme, notifications, and this account's encryption devices. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { LOCALES, locale, setLocale, t, type Locale } from '../../i18n/index.js';
import { applyTheme, notificationsWanted, setNotifications, theme, type Theme } from '../../app/preferences.js';
import { omemo, type DeviceInfo } from '../../app/omemo-loader.js';
import { omemoSettled } from '../../state/tab.js';
import { useServices } from '../context.js';
import { openSecurity } from '../security/open.js';
import { useBlockAction } from '../chat/block-button.js';
import { OwnAvatar } from './own-avatar.js';
import { OwnProfileForm } from './own-profile.js';

const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export function Settings() {
  const { state } = useServices();
  const notificationsSupported = typeof Notification !== 'undefined';
  const [notifyNote, setNotifyNote] = useState<string | null>(null);
  // The link or shortcut that opened the page may be gone (phones hide the sidebar): the focus starts at the title.
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), []);
  return (
    <section class="settings" data-testid="settings" aria-labelledby="settings-title">
      <header class="conversation-header">
        <a href="#" class="back-link" data-testid="back" aria-label={t('conversation.back')}>‹</a>
        <h1 id="settings-title" ref={title} tabIndex={-1}>{t('settings.title')}</h1>
      </header>
      <div class="settings-body">
        <div class="settings-field">
          <label for="settings-language">{t('settings.language')}</label>
          <select id="settings-language" data-testid="settings-language" value={locale.value} onChange={(e) => void setLocale((e.currentTarget as HTMLSelectElement).value as Locale)}>
            {Object.entries(LOCALES).map(([tag, name]) => <option key={tag} value={tag} lang={tag}>{name}</option>)}
          </select>
        </div>
        <div class="settings-field">
          <label for="settings-theme">{t('settings.theme')}</label>
          <select id="settings-theme" data-testid="settings-theme" value={theme.value} onChange={(e) => applyTheme((e.currentTarget as HTMLSelectElement).value as Theme)}>
            {THEMES.map((th) => <option key={th} value={th}>{t(`settings.theme.${th}`)}</option>)}
          </select>
        </div>
        <div class="settings-field">
          <label class="checkbox">
            <input type="checkbox" data-testid="settings-notifications" checked={notificationsWanted.value} disabled={!notificationsSupported} onChange={(e) => {
              const wanted = (e.currentTarget as HTMLInputElement).checked;
              void setNotifications(wanted).then((on) => setNotifyNote(wanted && !on ? t('settings.notificationsDenied') : null));
            }} />
            {t('settings.notifications')}
          </label>
          <p class="field-hint" role="status">{notifyNote ?? (notificationsSupported ? t('settings.notificationsHint') : t('settings.notificationsUnsupported'))}</p>
        </div>
        <BlockedContacts />
        <OwnAvatar />
        <OwnProfileForm />
        <OwnDevices account={state.own.account} />
        <section class="settings-account" data-testid="settings-account" aria-labelledby="settings-account-title">
          <h2 id="settings-account-title">{t('settings.account')}</h2>
          <p class="field-hint">{t('settings.accountHint')}</p>
          {/* The account page marks this tab's OMEMO device in the account's device list. */}
          <a class="button-quiet" data-testid="settings-account-link" href={`/account${document.body.dataset.omemoDevice ? `?device=${encodeURIComponent(document.body.dataset.omemoDevice)}` : ''}`}>{t('settings.accountManage')}</a>
        </section>
      </div>
    </section>
  );
}

/** The account's blocklist (XEP-0191), each address with Unblock; the list follows the `blocklist` event. */
function BlockedContacts() {
  const { state } = useServices();
  state.blocked.revision.value;
  state.contacts.revision.value;
  const { busy, message, act } = useBlockAction();
  const jids = state.blocked.all();
  return (
    <section class="settings-blocked" data-testid="settings-blocked" aria-labelledby="settings-blocked-title">
      <h2 id="settings-blocked-title">{t('blocking.settingsTitle')}</h2>
      <p class="field-hint">{state.blocked.supported ? t('blocking.settingsHint') : t('blocking.unsupported')}</p>
      {jids.length === 0 ? <p data-testid="settings-blocked-empty">{t('blocking.settingsEmpty')}</p> : (
        <ul class="blocked-list">
          {jids.map((jid) => {
            const name = state.contacts.displayName(jid);
            return (
              <li key={jid} class="blocked-item" data-testid="settings-blocked-item" data-jid={jid}>
                <bdi class="blocked-name">{name}</bdi>
                {name !== jid ? <bdi class="blocked-jid">{jid}</bdi> : null}
                <button type="button" class="button-quiet" data-testid="settings-unblock" disabled={busy}
                  aria-label={t('blocking.unblockLabel', { jid })} onClick={() => act('unblock', jid)}>{t('blocking.unblock')}</button>
              </li>
            );
          })}
        </ul>
      )}
      <p class={message?.error ? 'form-error' : 'field-hint'} role="status" hidden={message === null}>{message?.text ?? ''}</p>
    </section>
  );
}

function OwnDevices({ account }: { account: string }) {
  const [devices, setDevices] = useState<DeviceInfo[] | null>(null);
  const settled = omemoSettled.value;
  useEffect(() => {
    let live = true;
    void omemo().then(async (service) => {
      const list = service ? await service.devicesOf(service.account).catch(() => []) : [];
      if (live) setDevices(list);
    });
    return () => {
      live = false;
    };
  }, [settled]);
  return (
    <section class="settings-devices" data-testid="settings-devices" aria-labelledby="settings-devices-title">
      <h2 id="settings-devices-title">{t('settings.devices')}</h2>
      <p class="field-hint">{t('settings.devicesHint')}</p>
      {devices === null ? <p>{t('security.loading')}</p> : devices.length === 0 ? <p>{t('security.unavailable')}</p> : (
        <ul class="security-devices">
          {devices.map((d) => (
            <li key={d.deviceId} class={`security-device trust-${d.trust}`} data-testid="settings-device" data-device-id={String(d.deviceId)}>
              <div class="security-device-head">
                <strong>{d.isThisTab ? t('security.thisTab') : d.isThisBrowser ? t('security.deviceOtherTab', { device: d.deviceId }) : t('security.device', { device: d.deviceId })}</strong>
              </div>
              <code class="fingerprint">{d.fingerprint ?? t('security.noKey')}</code>
            </li>
          ))}
        </ul>
      )}
      <button type="button" class="button-quiet" data-testid="settings-manage-devices" onClick={() => openSecurity(account)}>{t('settings.manageDevices')}</button>
    </section>
  );
}
