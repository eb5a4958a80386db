/** The app page: the sidebar and one main view (a conversation, the settings or nothing), plus the dialogs. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { route, type Route } from '../app/route.js';
import { handover, type Handover } from '../app/omemo-loader.js';
import { announcements, omemoSettled } from '../state/tab.js';
import { Banner } from './banner.js';
import { useServices } from './context.js';
import { MeHeader } from './sidebar/me-header.js';
import { AddContact } from './sidebar/add-contact.js';
import { Roster } from './sidebar/roster.js';
import { SearchBox } from './search/search-box.js';
import { SubscriptionRequests } from './sidebar/subscription-requests.js';
import { Conversation } from './chat/conversation.js';
import { SecurityHost } from './security/security-host.js';
import { HandoverDialog } from './security/handover-dialog.js';
import { ShortcutsDialog, handleShortcut } from './shortcuts.js';
import { RoomList } from './rooms/room-list.js';
import { AdminSlot } from './rooms/admin-slots.js';
import { t } from '../i18n/index.js';
import { lazyComponent } from './lazy.js';

// Behind a route: not needed for the first paint, so chunks of their own (loaded after it, or when opened).
const Settings = lazyComponent(() => import('./settings/settings.js').then((m) => m.Settings));
const JoinRoom = lazyComponent(() => import('./rooms/join-room.js').then((m) => m.JoinRoom));

export function App() {
  const { state } = useServices();
  const current = route.value;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => handleShortcut(e, state);
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  const previous = useRef(current);
  useEffect(() => {
    if (current.view !== 'chat') state.openPeer = null;
    if (current.view === 'home' && previous.current.view !== 'home') focusListAfterBack(previous.current);
    previous.current = current;
  }, [current]);

  return (
    <>
      <Banner />
      <div class={`layout view-${current.view}`}>
        <aside class="sidebar" aria-label={t('sidebar.label')}>
          <MeHeader />
          <AddContact />
          <SubscriptionRequests />
          <SearchBox />
          {/* Mount point: <InvitationsList /> of rooms-ui-admin, above the rooms. */}
          <AdminSlot name="InvitationsList" />
          <RoomList />
          <Roster />
        </aside>
        <main class="chat">
          {current.view === 'chat' ? <Conversation key={current.peer} peer={current.peer} /> : null}
          {current.view === 'settings' ? <Settings /> : null}
          {current.view === 'join' ? <JoinRoom initialRoom={current.room} /> : null}
          {current.view === 'home' ? (
            <div class="chat-empty">
              <h1 class="visually-hidden">{t('app.title')}</h1>
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

/**
 * Back on the list (Escape, the back link), the view that had the focus is gone: the focus goes to the contact that was
 * open, or the first one, or the add-contact field, so a keyboard or screen reader user is not left on <body>.
 */
function focusListAfterBack(from: Route): void {
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  const contacts = [...document.querySelectorAll<HTMLElement>('[data-testid="contact"]')];
  const target = (from.view === 'chat' ? contacts.find((c) => c.dataset.jid === from.peer) : undefined) ?? contacts[0] ?? document.getElementById('add-contact-jid');
  target?.focus();
}
