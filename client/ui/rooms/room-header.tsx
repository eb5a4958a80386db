/**
 * The header of a room conversation: name, subject (editable when the room lets us), occupant count with the toggle
 * of the occupants panel, state and errors (with "join again"), leave, and the slot of the admin menu. The header of
 * a MUC-PM says plainly that it is a private message through a room, never a direct chat.
 */
import { useState } from 'preact/hooks';
import type { RoomDTO } from '../../../server/realtime/contract.js';
import { roomName, splitOccupantJid } from '../../state/rooms.js';
import { navigate } from '../../app/route.js';
import { hashForPeer } from '../../app/router.js';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';
import { RoomAvatar } from './room-avatar.js';
import { AdminSlot } from './admin-slots.js';

export function RoomHeader({ room, occupantsOpen, onToggleOccupants }: { room: RoomDTO; occupantsOpen: boolean; onToggleOccupants: () => void }) {
  const { state, run } = useServices();
  state.rooms.revision.value;
  const name = roomName(room);
  const [editing, setEditing] = useState(false);
  const [subject, setSubject] = useState(room.subject ?? '');
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Prosody lets participants change the subject unless the room says otherwise; the server answers an error then.
  const canEditSubject = room.state === 'joined' && (room.role === 'moderator' || room.role === 'participant');
  const attempt = (p: Promise<unknown>) => p.then(() => setError(null)).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));

  return (
    <header class="conversation-header room-header" data-testid="room-header" data-room={room.jid} data-state={room.state}>
      <a href="#" class="back-link" data-testid="back" aria-label={t('conversation.back')}>‹</a>
      <span class="conversation-avatar"><RoomAvatar jid={room.jid} name={name} /></span>
      <div class="conversation-heading">
        <h1 id="conversation-title" dir="auto"><bdi data-testid="room-title">{name}</bdi></h1>
        {editing ? (
          <form
            class="room-subject-form"
            onSubmit={(e) => {
              e.preventDefault();
              void attempt(run('roomSubject', { room: room.jid, subject: subject.slice(0, 4096) }).then(() => setEditing(false)));
            }}
          >
            <label class="visually-hidden" for="room-subject-input">{t('rooms.subjectLabel')}</label>
            <input id="room-subject-input" type="text" data-testid="room-subject-input" maxLength={4096} value={subject} onInput={(e) => setSubject((e.currentTarget as HTMLInputElement).value)} />
            <button type="submit" class="button-quiet" data-testid="room-subject-save">{t('rooms.subjectSave')}</button>
            <button type="button" class="button-quiet" onClick={() => setEditing(false)}>{t('join.cancel')}</button>
          </form>
        ) : (
          <p id="conversation-subtitle" class="room-subject" dir="auto" data-testid="room-subject" title={room.subjectBy ? t('rooms.subjectBy', { nick: room.subjectBy }) : undefined}>
            {room.state !== 'joined' ? <span class="room-state" data-testid="room-state">{t(`rooms.state.${room.state}`)} </span> : null}
            <bdi>{room.subject ?? room.description ?? room.jid}</bdi>
          </p>
        )}
        {room.error ? (
          <p class="room-error form-error" data-testid="room-error" data-reason={room.error.reason}>
            {t(`rooms.error.${room.error.reason}`)} {room.error.text ? <bdi>{room.error.text}</bdi> : null}{' '}
            {room.state === 'left' ? (
              <a class="link-button" href={`#join/${encodeURIComponent(room.jid).replace(/%40/g, '@')}`} data-testid="room-rejoin">{t('rooms.rejoin')}</a>
            ) : null}
          </p>
        ) : null}
        {error ? <p class="form-error" role="alert">{error}</p> : null}
      </div>
      {canEditSubject && !editing ? (
        <button type="button" class="button-quiet header-action" data-testid="room-subject-edit" onClick={() => (setSubject(room.subject ?? ''), setEditing(true))}>{t('rooms.subjectEdit')}</button>
      ) : null}
      <button
        type="button"
        class="button-quiet header-action occupants-toggle"
        data-testid="occupants-toggle"
        aria-expanded={occupantsOpen ? 'true' : 'false'}
        aria-controls="room-occupants"
        onClick={onToggleOccupants}
        aria-label={t('rooms.occupantCount', { count: state.rooms.occupantCount(room.jid) })}
      >
        {t('rooms.occupants')} <span class="contact-group-count">{String(state.rooms.occupantCount(room.jid))}</span>
      </button>
      {/* Mount point: <RoomAdminMenu room /> of rooms-ui-admin (configure, destroy, invite, affiliation lists). */}
      <AdminSlot name="RoomAdminMenu" room={room} />
      {confirmLeave ? (
        <span class="room-leave-confirm" role="group">
          <span>{t('rooms.leaveConfirm', { room: name })}</span>
          <button
            type="button"
            class="button-danger"
            data-testid="room-leave-confirm"
            onClick={() => void attempt(run('roomLeave', { room: room.jid, forget: true }).then(() => navigate({ view: 'home' })))}
          >
            {t('rooms.leaveConfirmButton')}
          </button>
          <button type="button" class="button-quiet" onClick={() => setConfirmLeave(false)}>{t('join.cancel')}</button>
        </span>
      ) : (
        <button type="button" class="button-quiet header-action" data-testid="room-leave" onClick={() => setConfirmLeave(true)}>{t('rooms.leave')}</button>
      )}
    </header>
  );
}

export function PmHeader({ peer }: { peer: string }) {
  const { state } = useServices();
  state.rooms.revision.value;
  const parts = splitOccupantJid(peer)!;
  const room = state.rooms.get(parts.room);
  const name = room ? roomName(room) : roomName({ jid: parts.room, name: null });
  return (
    <header class="conversation-header pm-header" data-testid="pm-header" data-peer={peer}>
      <a href="#" class="back-link" data-testid="back" aria-label={t('conversation.back')}>‹</a>
      <span class="pm-icon pm-icon-large" role="img" aria-label={t('rooms.pmLabel')}>✉</span>
      <div class="conversation-heading">
        <h1 id="conversation-title" dir="auto" data-testid="pm-title"><bdi>{t('rooms.pmTitle', { nick: parts.nick, room: name })}</bdi></h1>
        <p id="conversation-subtitle" dir="auto">
          {t('rooms.pmNote', { nick: parts.nick, room: name })} <a href={hashForPeer(parts.room)}>{name}</a>
        </p>
      </div>
    </header>
  );
}
