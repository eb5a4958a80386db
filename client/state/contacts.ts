/** The roster and the best presence of each contact, as the server pushes them. */
import type { ContactDTO, Presence, PresenceDTO, SubscriptionRequestsDTO } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';

/** How "reachable" a presence is: the roster shows reachable contacts first. */
const RANK: Record<Presence, number> = { chat: 0, available: 1, away: 2, dnd: 3, xa: 4, unavailable: 5 };

export function presenceRank(show: Presence): number {
  return RANK[show];
}

/** The presence to show when several are known (e.g. the roster has none yet but a conversation does). */
export function bestPresence(shows: Presence[]): Presence {
  return shows.reduce<Presence>((best, s) => (RANK[s] < RANK[best] ? s : best), 'unavailable');
}

export class ContactsStore extends Observable {
  private readonly contacts = new Map<string, ContactDTO>();
  private readonly presences = new Map<string, PresenceDTO>();
  /** Pending requests to see our presence (newest first, bounded by the server; `total` counts all). */
  requests: SubscriptionRequestsDTO = { requests: [], total: 0 };

  /** A full snapshot (hello): everything not in it is forgotten. */
  reset(contacts: ContactDTO[], presences: PresenceDTO[], requests: SubscriptionRequestsDTO = { requests: [], total: 0 }): void {
    this.contacts.clear();
    this.presences.clear();
    this.requests = requests;
    for (const c of contacts) if (c.subscription !== 'remove') this.contacts.set(c.jid, c);
    for (const p of presences) this.presences.set(p.jid, p);
    this.notify();
  }

  /** A full roster (the `contacts` event): presences are kept. */
  replaceContacts(contacts: ContactDTO[]): void {
    this.contacts.clear();
    for (const c of contacts) if (c.subscription !== 'remove') this.contacts.set(c.jid, c);
    this.notify();
  }

  /** A roster push: `subscription: 'remove'` deletes the contact (RFC 6121 §2.1.2.5). */
  upsertContact(contact: ContactDTO): void {
    if (contact.subscription === 'remove') this.contacts.delete(contact.jid);
    else this.contacts.set(contact.jid, contact);
    this.notify();
  }

  /** Shown right after the tab adds someone, before the server's roster push arrives; the push replaces it. */
  addPending(jid: string, name: string | null): void {
    if (this.contacts.has(jid)) return;
    this.upsertContact({ jid, name, subscription: 'none', ask: true, groups: [] });
  }

  setRequests(requests: SubscriptionRequestsDTO): void {
    this.requests = requests;
    this.notify();
  }

  /** Every group name in the roster, sorted for the tab's language. */
  groups(): string[] {
    const names = new Set<string>();
    for (const c of this.contacts.values()) for (const g of c.groups) names.add(g);
    return [...names].sort((a, b) => a.localeCompare(b));
  }

  setPresence(presence: PresenceDTO): void {
    this.presences.set(presence.jid, presence);
    this.notify();
  }

  contact(jid: string): ContactDTO | undefined {
    return this.contacts.get(jid);
  }

  all(): ContactDTO[] {
    return [...this.contacts.values()];
  }

  presence(jid: string): PresenceDTO {
    return this.presences.get(jid) ?? { jid, show: 'unavailable', status: null, resources: [] };
  }

  /** What to call a contact: the roster name when it has one, else the address. */
  displayName(jid: string): string {
    const name = this.contacts.get(jid)?.name?.trim();
    return name ? name : jid;
  }
}
