/** The app page: the sidebar and one main view (a conversation, the settings or nothing), plus the dialogs. */
import { useEffect, useState } from 'preact/hooks';
import { route } from '../app/route.js';
import { handover, type Handover } from '../app/omemo-loader.js';
import { announcements, omemoSettled } from '../state/tab.js';
import { Banner } from './banner.js';
import { useServices } from './context.js';
import { MeHeader } from './sidebar/me-header.js';
import { AddContact } from './sidebar/add-contact.js';
import { Roster } from './sidebar/roster.js';
import { Conversation } from './chat/conversation.js';
import { Settings } from './settings/settings.js';
import { SecurityHost } from './security/security-host.js';
import { HandoverDialog } from './security/handover-dialog.js';
import { ShortcutsDialog, handleShortcut } from './shortcuts.js';
import { t } from '../i18n/index.js';

export function App() {
  const { state } = useServices();
  const current = route.value;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => handleShortcut(e, state);
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    if (current.view !== 'chat') state.openPeer = null;
  }, [current]);

  return (
    <>
      <Banner />
      <div class={`layout view-${current.view}`}>
        <aside class="sidebar" aria-label={t('sidebar.label')}>
          <MeHeader />
          <AddContact />
          <Roster />
        </aside>
        <main class="chat">
          {current.view === 'chat' ? <Conversation key={current.peer} peer={current.peer} /> : null}
          {current.view === 'settings' ? <Settings /> : null}
          {current.view === 'home' ? (
            <div class="chat-empty">
              <p>{t('chat.empty')}</p>
              <p class="field-hint">{t('chat.shortcutsHint')}</p>
            </div>
          ) : null}
        </main>
      </div>
      <SecurityHost />
      <HandoverHost />
      <ShortcutsDialog />
      <div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="false">
        {announcements.value.map((a) => <p key={a.id}>{a.text}</p>)}
      </div>
    </>
  );
}

/** The history handover's dialog, once this tab's OMEMO layer (and with it the handover) started. */
function HandoverHost() {
  const [h, setH] = useState<Handover | null>(null);
  const settled = omemoSettled.value;
  useEffect(() => {
    if (settled) void handover().then(setH);
  }, [settled]);
  return h ? <HandoverDialog handover={h} /> : null;
}
