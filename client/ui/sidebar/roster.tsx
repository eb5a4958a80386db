/** The contact list: recent conversations and contacts, with presence, last message and unread count. */
import { rosterEntries, type RosterEntry } from '../../state/app-state.js';
import { hashForPeer } from '../../app/router.js';
import { route } from '../../app/route.js';
import { Avatar } from '../avatar.js';
import { useServices } from '../context.js';
import { listTime, presenceLabel } from '../format.js';
import { t } from '../../i18n/index.js';
import { moveFocus } from '../keyboard.js';
import { VirtualList } from '../virtual/VirtualList.js';
import { useMemo } from 'preact/hooks';

const keyOf = (entry: RosterEntry): string => entry.jid;
const rowProps = () => ({ class: 'contact-item' });

export function Roster() {
  const { state } = useServices();
  state.contacts.revision.value;
  state.conversations.revision.value;
  state.own.revision.value;
  const current = route.value;
  const openPeer = current.view === 'chat' ? current.peer : null;
  const entries = rosterEntries(state);
  // A new function only when the open conversation changes: rows re-render then, and only those whose props changed.
  const renderItem = useMemo(
    () => (entry: RosterEntry) => <ContactItem {...entry} active={entry.jid === openPeer} time={entry.lastStamp ? listTime(entry.lastStamp) : ''} />,
    [openPeer],
  );
  return (
    <nav class="contacts-nav" aria-label={t('roster.label')}>
      <VirtualList
        items={entries}
        keyOf={keyOf}
        renderItem={renderItem}
        itemProps={rowProps}
        estimateHeight={58}
        followStart
        tag="ul"
        className="contacts"
        listClass="contact-list"
        listTestid="contact-list"
        scrollerAttrs={{ onKeyDown: (e) => moveFocus(e, '[data-testid="contact"]') }}
      />
      <p class="roster-empty" hidden={entries.length > 0}>{t('roster.empty')}</p>
    </nav>
  );
}

/** Its props are primitives, so an unchanged contact is not re-rendered (@preact/signals compares props shallowly). */
function ContactItem(props: RosterEntry & { active: boolean; time: string }) {
  const { active, time, ...entry } = props;
  const secondary = entry.lastText ?? entry.status ?? (entry.pending ? t('roster.pending') : entry.name !== entry.jid ? entry.jid : presenceLabel(entry.show));
  return (
    <a
        class={`contact${active ? ' active' : ''}${entry.unread > 0 ? ' has-unread' : ''}`}
        data-testid="contact"
        data-jid={entry.jid}
        href={hashForPeer(entry.jid)}
        aria-current={active ? 'page' : undefined}
      >
        <Avatar jid={entry.jid} name={entry.name} show={entry.show} />
        <span class="contact-text">
          <span class="contact-line">
            <bdi class="contact-name">{entry.name}</bdi>
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
