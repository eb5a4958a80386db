/**
 * The contact list: recent conversations, then contacts by roster group (collapsible), with presence, last message
 * and unread count; a filter above it. Virtualised: 2,000 contacts render only what is on screen (bench/roster.ts).
 */
import { useMemo, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import type { RosterEntry } from '../../state/app-state.js';
import { sidebarRows, RECENT, UNGROUPED, type SidebarRow } from '../../state/sidebar.js';
import { hashForPeer } from '../../app/router.js';
import { route } from '../../app/route.js';
import { Avatar } from '../avatar.js';
import { useServices } from '../context.js';
import { listTime, presenceLabel } from '../format.js';
import { t } from '../../i18n/index.js';
import { moveFocus } from '../keyboard.js';
import { VirtualList } from '../virtual/VirtualList.js';

const keyOf = (row: SidebarRow): string => row.key;
const rowProps = (row: SidebarRow) => ({ class: row.kind === 'header' ? 'contact-group-item' : 'contact-item' });
/** Collapsed groups, for the life of the tab. */
const collapsedGroups = signal<ReadonlySet<string>>(new Set());

function toggleGroup(group: string): void {
  const next = new Set(collapsedGroups.value);
  if (!next.delete(group)) next.add(group);
  collapsedGroups.value = next;
}

export function groupLabel(group: string): string {
  return group === RECENT ? t('roster.recent') : group === UNGROUPED ? t('roster.ungrouped') : group;
}

export function Roster() {
  const { state } = useServices();
  state.contacts.revision.value;
  state.conversations.revision.value;
  state.own.revision.value;
  state.blocked.revision.value;
  const [filter, setFilter] = useState('');
  const current = route.value;
  const openPeer = current.view === 'chat' ? current.peer : null;
  const rows = sidebarRows(state, filter, collapsedGroups.value);
  const contactsShown = rows.some((r) => r.kind === 'contact' || r.count > 0);
  // A new function only when the open conversation changes: rows re-render then, and only those whose props changed.
  const renderItem = useMemo(
    () => (row: SidebarRow) =>
      row.kind === 'header' ? (
        <GroupHeader group={row.group} count={row.count} collapsed={row.collapsed} />
      ) : (
        <ContactItem {...withoutGroups(row.entry)} active={row.entry.jid === openPeer} time={row.entry.lastStamp ? listTime(row.entry.lastStamp) : ''} />
      ),
    [openPeer],
  );
  return (
    <nav class="contacts-nav" aria-label={t('roster.label')}>
      <div class="roster-filter">
        <label class="visually-hidden" for="roster-filter">{t('roster.filterLabel')}</label>
        <input
          id="roster-filter"
          type="search"
          data-testid="roster-filter"
          placeholder={t('roster.filterPlaceholder')}
          autocapitalize="none"
          spellcheck={false}
          maxLength={3071}
          value={filter}
          onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={(e) => e.key === 'Escape' && setFilter('')}
        />
      </div>
      <VirtualList
        items={rows}
        keyOf={keyOf}
        renderItem={renderItem}
        itemProps={rowProps}
        estimateHeight={58}
        followStart
        tag="ul"
        className="contacts"
        listClass="contact-list"
        listTestid="contact-list"
        scrollerAttrs={{ onKeyDown: (e) => moveFocus(e, '[data-testid="contact"], [data-testid="contact-group"]') }}
      />
      <p class="roster-empty" data-testid="roster-empty" hidden={contactsShown}>
        {filter.trim() ? t('roster.noMatch') : t('roster.empty')}
      </p>
    </nav>
  );
}

/** Arrays are new on every computation: leaving them out keeps ContactItem's props primitive (shallow-equal). */
function withoutGroups(entry: RosterEntry): Omit<RosterEntry, 'groups'> {
  const { groups: _groups, ...rest } = entry;
  return rest;
}

function GroupHeader({ group, count, collapsed }: { group: string; count: number; collapsed: boolean }) {
  const label = groupLabel(group);
  return (
    <button
      type="button"
      class="contact-group"
      data-testid="contact-group"
      data-group={group}
      aria-expanded={collapsed ? 'false' : 'true'}
      onClick={() => toggleGroup(group)}
    >
      <span class="contact-group-name">{label}</span>
      <span class="contact-group-count" aria-label={t('roster.groupCount', { count })}>{String(count)}</span>
    </button>
  );
}

/** Its props are primitives, so an unchanged contact is not re-rendered (@preact/signals compares props shallowly). */
function ContactItem(props: Omit<RosterEntry, 'groups'> & { active: boolean; time: string }) {
  const { active, time, ...entry } = props;
  const secondary = entry.lastText ?? entry.status ?? (entry.pending ? t('roster.pending') : entry.name !== entry.jid ? entry.jid : presenceLabel(entry.show));
  return (
    <a
        class={`contact${active ? ' active' : ''}${entry.unread > 0 ? ' has-unread' : ''}${entry.blocked ? ' is-blocked' : ''}`}
        data-testid="contact"
        data-jid={entry.jid}
        data-blocked={entry.blocked ? 'true' : undefined}
        href={hashForPeer(entry.jid)}
        aria-current={active ? 'page' : undefined}
        title={entry.resources || undefined}
      >
        <Avatar jid={entry.jid} name={entry.name} show={entry.show} />
        <span class="contact-text">
          <span class="contact-line">
            <bdi class="contact-name">{entry.name}</bdi>
            {entry.blocked ? <span class="contact-blocked" data-testid="contact-blocked">{t('blocking.rosterMark')}</span> : null}
            {time ? <span class="contact-time">{time}</span> : null}
          </span>
          <span class="contact-line">
            <bdi class="contact-preview">{secondary}</bdi>
            {entry.unread > 0 ? (
              <span class="unread-badge" aria-label={t('roster.unread', { count: entry.unread })}>{entry.unread > 99 ? '99+' : String(entry.unread)}</span>
            ) : null}
          </span>
        </span>
    </a>
  );
}
