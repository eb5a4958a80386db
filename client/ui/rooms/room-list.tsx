/**
 * The sidebar's rooms section: a header (join, create), the rooms by name with unread and mention counters, then the
 * private messages with occupants (MUC-PM) under their own icon. Kept apart from the contact list on purpose: a room
 * or an occupant is never shown as a contact.
 */
import { route } from '../../app/route.js';
import { hashForPeer } from '../../app/router.js';
import { roomSections, type PmEntry, type RoomEntry } from '../../state/room-list.js';
import { useServices } from '../context.js';
import { listTime } from '../format.js';
import { t } from '../../i18n/index.js';
import { RoomAvatar } from './room-avatar.js';
import { AdminSlot } from './admin-slots.js';

export function RoomList() {
  const { state } = useServices();
  state.rooms.revision.value;
  state.conversations.revision.value;
  const current = route.value;
  const openPeer = current.view === 'chat' ? current.peer : null;
  const { rooms, pms } = roomSections(state);
  return (
    <section class="rooms-section" aria-labelledby="rooms-heading" data-testid="rooms-section">
      <div class="rooms-section-header">
        <h2 id="rooms-heading" class="rooms-heading">{t('rooms.section')}</h2>
        {/* Mount point: <CreateRoomButton /> of rooms-ui-admin (client/ui/rooms/admin/), once merged. */}
        <AdminSlot name="CreateRoomButton" />
        <a class="button-quiet rooms-join-link" href="#join" data-testid="room-join-open">{t('rooms.join')}</a>
      </div>
      {/* Empty: only the header line, so the contact list keeps the room it had (phones). */}
      <ul class="room-list" data-testid="room-list" hidden={rooms.length === 0 && pms.length === 0} aria-label={t('rooms.section')}>
        {rooms.map((r) => (
          <li key={r.jid} class="contact-item"><RoomItem entry={r} active={r.jid === openPeer} /></li>
        ))}
        {pms.map((p) => (
          <li key={p.peer} class="contact-item"><PmItem entry={p} active={p.peer === openPeer} /></li>
        ))}
      </ul>
    </section>
  );
}

function Badges({ unread, mentions }: { unread: number; mentions: number }) {
  return (
    <>
      {mentions > 0 ? (
        <span class="mention-badge" data-testid="room-mentions" aria-label={t('rooms.mentions', { count: mentions })}>@{mentions > 99 ? '99+' : String(mentions)}</span>
      ) : null}
      {unread > 0 ? (
        <span class="unread-badge" data-testid="room-unread" aria-label={t('roster.unread', { count: unread })}>{unread > 99 ? '99+' : String(unread)}</span>
      ) : null}
    </>
  );
}

function RoomItem({ entry, active }: { entry: RoomEntry; active: boolean }) {
  const stateText = entry.state === 'joined' ? null : t(`rooms.state.${entry.state}`);
  const secondary = stateText ?? entry.lastText ?? t('rooms.occupantCount', { count: entry.occupantCount });
  return (
    <a
      class={`contact room${active ? ' active' : ''}${entry.unread > 0 ? ' has-unread' : ''}${entry.mentions > 0 ? ' has-mention' : ''}`}
      data-testid="room"
      data-jid={entry.jid}
      data-state={entry.state}
      href={hashForPeer(entry.jid)}
      aria-current={active ? 'page' : undefined}
    >
      <RoomAvatar jid={entry.jid} name={entry.name} />
      <span class="contact-text">
        <span class="contact-line">
          <bdi class="contact-name" data-testid="room-name">{entry.name}</bdi>
          {entry.lastStamp ? <span class="contact-time">{listTime(entry.lastStamp)}</span> : null}
        </span>
        <span class="contact-line">
          <bdi class="contact-preview">{secondary}</bdi>
          <Badges unread={entry.unread} mentions={entry.mentions} />
        </span>
      </span>
    </a>
  );
}

function PmItem({ entry, active }: { entry: PmEntry; active: boolean }) {
  return (
    <a
      class={`contact room-pm${active ? ' active' : ''}${entry.unread > 0 ? ' has-unread' : ''}`}
      data-testid="room-pm"
      data-jid={entry.peer}
      href={hashForPeer(entry.peer)}
      aria-current={active ? 'page' : undefined}
    >
      <span class="pm-icon" role="img" aria-label={t('rooms.pmLabel')} title={t('rooms.pmLabel')}>✉</span>
      <span class="contact-text">
        <span class="contact-line">
          <bdi class="contact-name">{t('rooms.pmIn', { nick: entry.nick, room: entry.roomName })}</bdi>
          {entry.lastStamp ? <span class="contact-time">{listTime(entry.lastStamp)}</span> : null}
        </span>
        <span class="contact-line">
          <bdi class="contact-preview">{entry.lastText ?? t('rooms.pmLabel')}</bdi>
          <Badges unread={entry.unread} mentions={0} />
        </span>
      </span>
    </a>
  );
}
