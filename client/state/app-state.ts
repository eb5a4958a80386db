/**
 * Everything the tab knows, fed only by contract events. `apply` is the one place where a server event
 * becomes store changes, so it can be tested without a socket or a DOM.
 */
import type { Presence, ProfileDTO, ServerEvents } from '../../server/realtime/contract.js';
import { ContactsStore, presenceRank } from './contacts.js';
import { ConversationsStore } from './conversations.js';
import { MessagesStore } from './messages.js';
import { ConnectionStore } from './connection.js';
import { Observable } from './observable.js';
import { BlockedStore } from './blocking.js';
import { AvatarsStore } from './avatars.js';
import { ChatStatesStore } from './chat-states.js';
import { ReactionsStore } from './reactions.js';
import { RoomsStore } from './rooms.js';
import { kindOf } from './conversations.js';
import { t } from '../i18n/index.js';

export type EventName = keyof ServerEvents;
export type EventPayload<E extends EventName> = Parameters<ServerEvents[E]>[0];

/** The account's own presence as last set or snapshotted. */
export class OwnStore extends Observable {
  account = '';
  resource: string | null = null;
  show: Presence = 'available';
  status: string | null = null;
  /** Our own profile as last saved from a tab of this account (null until one is saved in this page's life). */
  profile: ProfileDTO | null = null;

  set(fields: Partial<Pick<OwnStore, 'account' | 'resource' | 'show' | 'status' | 'profile'>>): void {
    Object.assign(this, fields);
    this.notify();
  }
}

export class AppState {
  readonly contacts = new ContactsStore();
  readonly conversations = new ConversationsStore();
  readonly messages = new MessagesStore();
  readonly connection = new ConnectionStore();
  readonly own = new OwnStore();
  /** Blocked addresses (XEP-0191). */
  readonly blocked = new BlockedStore();
  readonly avatars = new AvatarsStore();
  /** Contacts' chat states (XEP-0085): who is typing. */
  readonly chatStates = new ChatStatesStore();
  /** Reactions (XEP-0444) per message row. */
  readonly reactions = new ReactionsStore();
  /** Rooms (XEP-0045), their occupants, invitations, presence lines and mention counters. */
  readonly rooms = new RoomsStore();
  /** The conversation on screen, kept across snapshots. */
  openPeer: string | null = null;

  apply<E extends EventName>(event: E, payload: EventPayload<E>): void {
    switch (event) {
      case 'hello': {
        const e = payload as EventPayload<'hello'>;
        this.own.set({ account: e.account, resource: e.resource, show: e.own.show, status: e.own.status });
        this.contacts.reset(e.contacts, e.presences, e.subscriptions);
        this.rooms.reset(e.rooms ?? [], e.invitations ?? []);
        this.conversations.reset(e.conversations);
        this.avatars.reset(e.avatars ?? []);
        this.chatStates.reset();
        // Messages may have been missed while this tab was away: only the open one is reloaded (the caller does it).
        this.messages.reset(this.openPeer);
        this.connection.setXmpp(e.connection);
        break;
      }
      case 'connection': {
        const e = payload as EventPayload<'connection'>;
        this.connection.setXmpp(e.state, e.detail ?? null);
        break;
      }
      case 'contacts':
        this.contacts.replaceContacts((payload as EventPayload<'contacts'>).contacts);
        break;
      case 'contact':
        this.contacts.upsertContact((payload as EventPayload<'contact'>).contact);
        break;
      case 'presence':
        this.contacts.setPresence(payload as EventPayload<'presence'>);
        break;
      case 'subscriptionRequests':
        this.contacts.setRequests(payload as EventPayload<'subscriptionRequests'>);
        break;
      case 'ownProfile':
        this.own.set({ profile: (payload as EventPayload<'ownProfile'>).profile });
        break;
      case 'ownPresence': {
        const e = payload as EventPayload<'ownPresence'>;
        this.own.set({ show: e.show, status: e.status });
        break;
      }
      case 'message': {
        const { message } = payload as EventPayload<'message'>;
        this.messages.upsert(message);
        const kind = kindOf(message, (jid) => this.rooms.has(jid));
        this.conversations.onMessage(message, kind);
        if (kind === 'room') this.rooms.onMessage(message.peer, message.id, message.mentionsMe === true, message.direction === 'in' && message.state === 'received');
        if (message.direction === 'in' && message.version === undefined && message.retractedAt === undefined) this.chatStates.clear(message.peer);
        break;
      }
      case 'chatState': {
        const e = payload as EventPayload<'chatState'>;
        this.chatStates.set(e.peer, e.state);
        break;
      }
      case 'messageDeleted': {
        const e = payload as EventPayload<'messageDeleted'>;
        this.messages.remove(e.peer, e.ids);
        this.conversations.onDeleted(e.peer, e.ids, this.messages.newest(e.peer));
        break;
      }
      case 'conversationDeleted': {
        const e = payload as EventPayload<'conversationDeleted'>;
        this.messages.clear(e.peer);
        this.conversations.remove(e.peer);
        break;
      }
      case 'read': {
        const e = payload as EventPayload<'read'>;
        this.conversations.onRead(e.peer, e.upTo);
        this.rooms.onRead(e.peer, e.upTo);
        break;
      }
      case 'blocklist':
        this.blocked.set(payload as EventPayload<'blocklist'>);
        break;
      case 'avatar':
        this.avatars.set(payload as EventPayload<'avatar'>);
        break;
      case 'reactions':
        this.reactions.set(payload as EventPayload<'reactions'>);
        break;
      case 'room':
        this.rooms.upsert((payload as EventPayload<'room'>).room);
        break;
      case 'roomRemoved': {
        const { jid } = payload as EventPayload<'roomRemoved'>;
        this.rooms.remove(jid);
        this.messages.clear(jid);
        this.conversations.remove(jid);
        break;
      }
      case 'occupants':
        this.rooms.applyDelta(payload as EventPayload<'occupants'>);
        break;
      case 'invitation':
        this.rooms.addInvitation((payload as EventPayload<'invitation'>).invitation);
        break;
      case 'invitationGone':
        this.rooms.removeInvitation((payload as EventPayload<'invitationGone'>).id);
        break;
      case 'moderated': {
        const e = payload as EventPayload<'moderated'>;
        this.messages.moderate(e.room, e.id, { by: e.by, reason: e.reason });
        break;
      }
      case 'degraded':
        this.connection.setDegraded((payload as EventPayload<'degraded'>).degraded);
        break;
      default:
        // omemoDevices belongs to the OMEMO layer; logout is navigation, handled by the app.
        break;
    }
  }
}

export interface RosterEntry {
  jid: string;
  name: string;
  show: Presence;
  status: string | null;
  unread: number;
  lastText: string | null;
  lastStamp: string | null;
  /** In the roster (not only someone who wrote to us). */
  inRoster: boolean;
  /** A subscription request of ours is pending. */
  pending: boolean;
  /** Roster groups (RFC 6121 §2.1.2.2). */
  groups: string[];
  /** Blocked (XEP-0191): nothing they send reaches us. */
  blocked: boolean;
  /** Each online client of the contact, one per line ("phone: Away – brb"), for the hover text; '' when offline. */
  resources: string;
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** Text for a conversation preview; encrypted bodies are not readable here. */
export function previewText(body: string | null, encrypted: string | null, attachment?: { url: string; name: string }): string | null {
  // An OMEMO message's body is only the fallback for clients without OMEMO: never show it as the text.
  if (encrypted !== null) return t('preview.encrypted');
  if (attachment && (body ?? '').trim() === attachment.url) return t('preview.file', { name: attachment.name });
  if (body !== null && body.trim() !== '') return body.replace(/\s+/g, ' ').trim().slice(0, 140);
  return null;
}

/** The sidebar list: recent conversations first (newest on top), then other contacts, reachable first, by name. */
export function rosterEntries(state: AppState): RosterEntry[] {
  const entries = new Map<string, RosterEntry>();
  const entry = (jid: string): RosterEntry => {
    const presence = state.contacts.presence(jid);
    const contact = state.contacts.contact(jid);
    return {
      jid,
      name: state.contacts.displayName(jid),
      show: presence.show,
      status: presence.status,
      unread: 0,
      lastText: null,
      lastStamp: null,
      inRoster: contact !== undefined,
      pending: contact?.ask === true && contact.subscription !== 'both' && contact.subscription !== 'to',
      groups: contact?.groups ?? [],
      blocked: state.blocked.has(jid),
      resources: presence.resources
        .map((r) => `${r.resource || jid}: ${t(`presence.${r.show}`)}${r.status ? ` – ${r.status}` : ''}`)
        .join('\n'),
    };
  };
  // Rooms and MUC-PMs have their own sidebar section (client/ui/rooms/room-list.tsx): never listed as contacts.
  const recent = state.conversations.all().filter((c) => c.peer !== state.own.account && c.kind === 'chat' && !state.rooms.has(c.peer));
  for (const c of recent) {
    entries.set(c.peer, { ...entry(c.peer), unread: c.unread, lastText: previewText(c.last.body, c.last.encrypted, c.last.attachment), lastStamp: c.last.stamp });
  }
  const rest = state.contacts
    .all()
    .filter((c) => !entries.has(c.jid))
    .map((c) => entry(c.jid))
    .sort((a, b) => presenceRank(a.show) - presenceRank(b.show) || collator.compare(a.name, b.name));
  return [...entries.values(), ...rest];
}
