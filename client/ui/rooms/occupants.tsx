/**
 * A room's occupants grouped by role (moderators, participants, visitors), each with presence, affiliation badge and
 * avatar. Virtualised: a 5,000-occupant room renders only the rows near the viewport. The list is asked once per room
 * view (`roomOccupants`); the batched `occupants` deltas keep it current.
 */
import { useEffect, useMemo } from 'preact/hooks';
import type { OccupantDTO, RoomDTO } from '../../../server/realtime/contract.js';
import type { OccupantGroup } from '../../state/rooms.js';
import { hashForPeer } from '../../app/router.js';
import { useServices } from '../context.js';
import { PresenceDot } from '../avatar.js';
import { t } from '../../i18n/index.js';
import { VirtualList } from '../virtual/VirtualList.js';
import { RoomAvatar } from './room-avatar.js';
import { AdminSlot } from './admin-slots.js';

type Row = { kind: 'header'; key: string; role: OccupantGroup['role']; count: number } | { kind: 'occupant'; key: string; occupant: OccupantDTO };

const keyOf = (row: Row): string => row.key;
const rowProps = (row: Row) => (row.kind === 'header' ? { class: 'occupant-group-item' } : { class: 'occupant-item', 'data-testid': 'occupant-row' });

export function occupantRows(groups: readonly OccupantGroup[]): Row[] {
  const rows: Row[] = [];
  for (const g of groups) {
    rows.push({ kind: 'header', key: `g:${g.role}`, role: g.role, count: g.occupants.length });
    for (const o of g.occupants) rows.push({ kind: 'occupant', key: `o:${o.nick}`, occupant: o });
  }
  return rows;
}

export function Occupants({ room, onClose }: { room: RoomDTO; onClose?: () => void }) {
  const { state, run } = useServices();
  state.rooms.revision.value;
  const hellos = state.connection.hellos;
  useEffect(() => {
    let live = true;
    void run('roomOccupants', { room: room.jid })
      .then((r) => live && state.rooms.setOccupants(r.room, r.occupants))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [room.jid, hellos]);
  const groups = state.rooms.groups(room.jid);
  const rows = useMemo(() => occupantRows(groups), [groups]);
  const renderItem = useMemo(
    () => (row: Row) =>
      row.kind === 'header' ? (
        <h3 class="occupant-group" data-testid="occupant-group" data-role={row.role}>
          <span>{t(`rooms.group.${row.role}`)}</span> <span class="contact-group-count">{String(row.count)}</span>
        </h3>
      ) : (
        <OccupantItem room={room} occupant={row.occupant} own={row.occupant.nick === room.nick} />
      ),
    [room],
  );
  return (
    <aside class="occupants" data-testid="occupants" aria-label={t('rooms.occupantsLabel', { room: room.name ?? room.jid })}>
      <header class="occupants-header">
        <h2 class="occupants-title">{t('rooms.occupants')} <span class="contact-group-count" data-testid="occupant-count">{String(state.rooms.occupantCount(room.jid))}</span></h2>
        {onClose ? <button type="button" class="button-quiet occupants-close" data-testid="occupants-close" onClick={onClose}>{t('common.close')}</button> : null}
      </header>
      {!state.rooms.hasOccupants(room.jid) ? <p class="occupants-loading">{t('rooms.occupantsLoading')}</p> : null}
      <VirtualList
        items={rows}
        keyOf={keyOf}
        renderItem={renderItem}
        itemProps={rowProps}
        estimateHeight={44}
        tag="ul"
        className="occupants-scroller"
        listClass="occupant-list"
        listTestid="occupant-list"
      />
    </aside>
  );
}

function OccupantItem({ room, occupant, own }: { room: RoomDTO; occupant: OccupantDTO; own: boolean }) {
  const badge = occupant.affiliation === 'none' ? null : t(`rooms.affiliation.${occupant.affiliation}`);
  return (
    <div class="occupant" data-testid="occupant" data-nick={occupant.nick} data-role={occupant.role} data-affiliation={occupant.affiliation}>
      <span class="occupant-avatar">
        <RoomAvatar jid={occupant.jid ?? `${room.jid}/${occupant.nick}`} name={occupant.nick} hash={occupant.avatar} small />
        <PresenceDot show={occupant.show} />
      </span>
      <span class="occupant-text">
        <bdi class="occupant-nick">{occupant.nick}</bdi>
        {own ? <span class="occupant-you"> ({t('rooms.you')})</span> : null}
        {occupant.status ? <bdi class="occupant-status">{occupant.status}</bdi> : null}
      </span>
      {badge ? <span class={`affiliation-badge affiliation-${occupant.affiliation}`} data-testid="affiliation-badge">{badge}</span> : null}
      {own ? null : (
        <a class="button-quiet occupant-pm" data-testid="occupant-pm" href={hashForPeer(`${room.jid}/${occupant.nick}`)} title={t('rooms.privateMessage')} aria-label={t('rooms.privateMessage')}>✉</a>
      )}
      {/* Mount point: <OccupantActions room occupant /> of rooms-ui-admin. */}
      <AdminSlot name="OccupantActions" room={room} occupant={occupant} />
    </div>
  );
}
