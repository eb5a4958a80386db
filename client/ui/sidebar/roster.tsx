/** The contact list: recent conversations and contacts, with presence, last message and unread count. */
import { memo } from '../memo.js';
import { rosterEntries, type RosterEntry } from '../../state/app-state.js';
import { hashForPeer } from '../../app/router.js';
import { route } from '../../app/route.js';
import { Avatar } from '../avatar.js';
import { useServices } from '../context.js';
import { listTime, presenceLabel } from '../format.js';
import { t } from '../../i18n/index.js';
import { moveFocus } from '../keyboard.js';

export function Roster() {
  const { state } = useServices();
  state.contacts.revision.value;
  state.conversations.revision.value;
  state.own.revision.value;
  const current = route.value;
  const openPeer = current.view === 'chat' ? current.peer : null;
  const entries = rosterEntries(state);
  return (
    <nav class="contacts" aria-label={t('roster.label')}>
      <ul class="contact-list" data-testid="contact-list" onKeyDown={(e) => moveFocus(e, '[data-testid="contact"]')}>
        {entries.map((entry) => (
          <ContactItem key={entry.jid} entry={entry} active={entry.jid === openPeer} time={entry.lastStamp ? listTime(entry.lastStamp) : ''} />
        ))}
      </ul>
      <p class="roster-empty" hidden={entries.length > 0}>{t('roster.empty')}</p>
    </nav>
  );
}

const ContactItem = memo(function ContactItem({ entry, active, time }: { entry: RosterEntry; active: boolean; time: string }) {
  const secondary = entry.lastText ?? entry.status ?? (entry.pending ? t('roster.pending') : entry.name !== entry.jid ? entry.jid : presenceLabel(entry.show));
  return (
    <li class="contact-item">
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
    </li>
  );
}, (a, b) => a.active === b.active && a.time === b.time && JSON.stringify(a.entry) === JSON.stringify(b.entry));
