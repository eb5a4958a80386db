/**
 * The open conversation: its header (name, presence, profile, security), the message list with its history status,
 * and the composer. Read markers go out for what this tab shows while it is visible.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import { ReadMarker } from '../../state/read-marker.js';
import { Avatar } from '../avatar.js';
import { useServices } from '../context.js';
import { presenceLabel } from '../format.js';
import { Composer, type ComposerHandle } from './composer.js';
import { MessageList } from './message-list.js';
import { ProfileButton, ProfilePanel, profileOpen } from './profile-panel.js';
import { BlockedNote } from './block-button.js';
import { JumpNotice, ReplyingBanner } from './reply.js';
import { MuteButton } from './mute-button.js';
import { focus } from '../../state/search.js';
import { openSecurity } from '../security/open.js';
import { sentSignal } from '../../state/tab.js';
import { t } from '../../i18n/index.js';
import { DeleteConversationButton, TypingNote } from './conversation-actions.js';
import { PmHeader, RoomHeader } from '../rooms/room-header.js';
import { Occupants } from '../rooms/occupants.js';
import { occupantsOpen } from '../rooms/occupants-toggle.js';

export function Conversation({ peer }: { peer: string }) {
  const { state, history, run, connected } = useServices();
  state.contacts.revision.value;
  state.messages.revision.value;
  state.rooms.revision.value;
  history.revision.value;
  // A room (bare JID the rooms store knows) or a MUC-PM (always a full JID): their own headers, never a contact's.
  const room = state.rooms.get(peer);
  const isPm = peer.includes('/');
  const composer = useRef<ComposerHandle>(null);
  const marker = useMemo(() => new ReadMarker((p, id) => run('markDisplayed', { peer: p, id })), [run]);

  useEffect(() => {
    state.openPeer = peer;
    history.ensureLoaded(peer);
    if (window.matchMedia('(min-width: 700px)').matches) composer.current?.focus();
    // A search hit is shown while its conversation is open; leaving it ends that.
    return () => {
      if (focus.value?.peer === peer) focus.value = null;
    };
  }, [peer]);

  // Sent while an older stretch is shown (opened at a search hit): back to the present, where the message is.
  const sent = sentSignal.value;
  const sentAtMount = useRef(sent);
  useEffect(() => {
    if (sent === sentAtMount.current || !state.messages.get(peer).hasNewer) return;
    if (focus.value?.peer === peer) focus.value = null;
    history.loadLatest(peer);
  }, [sent]);

  // A reconnect: the newest page again (it closes any gap), and the read marker state is forgotten.
  const hellos = state.connection.hellos;
  useEffect(() => {
    if (hellos === 0) return;
    marker.forget(peer);
    history.loadLatest(peer);
  }, [hellos]);

  /**
   * Tells the server what this tab shows: it sends the chat marker (XEP-0333) and clears unread everywhere. Only the
   * newest incoming message counts, and ReadMarker paces the commands: a burst of messages costs a few, not one each.
   */
  const markDisplayed = (): void => {
    if (document.visibilityState !== 'visible' || !connected()) return;
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
  useEffect(() => {
    document.addEventListener('visibilitychange', markDisplayed);
    return () => document.removeEventListener('visibilitychange', markDisplayed);
  }, [peer]);

  const name = state.contacts.displayName(peer);
  const presence = state.contacts.presence(peer);
  const subtitle = [presenceLabel(presence.show), presence.status, name !== peer ? peer : null].filter(Boolean).join(' · ');
  const conv = state.messages.get(peer);
  const error = history.error(peer);

  const status = error ? (
    <>
      <span>{t('history.error', { error })} </span>
      <button type="button" class="link-button" onClick={() => history.retry(peer)}>{t('history.retry')}</button>
    </>
  ) : history.isLoading(peer) ? (
    t('history.loading')
  ) : conv.loaded && !conv.hasMore ? (
    conv.messages.length ? t('history.beginning') : t('history.empty')
  ) : null;

  return (
    <section id="conversation" class={`conversation${room ? ' is-room' : ''}${isPm ? ' is-pm' : ''}${room && occupantsOpen.value ? ' occupants-open' : ''}`} data-kind={room ? 'room' : isPm ? 'pm' : 'chat'} aria-labelledby="conversation-title">
      {room ? (
        <RoomHeader room={room} occupantsOpen={occupantsOpen.value} onToggleOccupants={() => (occupantsOpen.value = !occupantsOpen.value)} />
      ) : isPm ? (
        <PmHeader peer={peer} />
      ) : (
        <header class="conversation-header">
          <a href="#" class="back-link" data-testid="back" aria-label={t('conversation.back')}>‹</a>
          <span class="conversation-avatar"><Avatar jid={peer} name={name} show={presence.show} /></span>
          <div class="conversation-heading">
            <h1 id="conversation-title" dir="auto"><bdi>{name}</bdi></h1>
            <p id="conversation-subtitle" dir="auto">{subtitle}</p>
            <TypingNote peer={peer} name={name} />
          </div>
          <DeleteConversationButton peer={peer} name={name} />
          <button type="button" class="button-quiet header-action" data-testid="security-open" title={t('conversation.securityTitle')} onClick={() => openSecurity(peer)}>
            {t('conversation.security')}
          </button>
          <MuteButton peer={peer} />
          <ProfileButton open={profileOpen.value} onToggle={() => (profileOpen.value = !profileOpen.value)} />
        </header>
      )}
      {!room && !isPm && profileOpen.value ? <ProfilePanel peer={peer} onClose={() => (profileOpen.value = false)} /> : null}
      {room && occupantsOpen.value ? <div id="room-occupants" class="room-occupants-panel"><Occupants room={room} onClose={() => (occupantsOpen.value = false)} /></div> : null}
      <MessageList
        peer={peer}
        presenceLines={room ? state.rooms.presenceLines(peer) : undefined}
        fromStart={conv.loaded && !conv.hasMore}
        messages={conv.messages}
        status={status}
        endRequest={sentSignal.value}
        onNearStart={() => !error && history.loadOlder(peer)}
        onNearEnd={() => !error && conv.hasNewer && history.loadNewer(peer)}
        focusId={focus.value?.peer === peer ? focus.value.id : null}
        onSeenEnd={markDisplayed}
      />
      <BlockedNote peer={peer} />
      <JumpNotice />
      <ReplyingBanner peer={peer} />
      <Composer key={peer} peer={peer} handle={composer} />
    </section>
  );
}
