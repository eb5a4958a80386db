/**
 * Roster (RFC 6121 §2): mirrored in PostgreSQL with its version (§2.6), so a new XMPP session asks only for what
 * changed since; kept current by roster pushes, which also carry what the account's other clients change.
 */
import type { Element } from '@xmpp/xml';
import { xml } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { ContactDTO } from '../realtime/contract.js';
import { NS } from '../stanza/ns.js';
import { buildRosterGet, buildRosterSet, parseRosterQuery, rosterVersion, type RosterItem } from '../stanza/roster.js';
import { bareOf } from '../stanza/jid.js';
import { XmppStanzaError } from '../xmpp/errors.js';

export class Roster {
  private readonly items = new Map<string, RosterItem>();
  private readonly listeners: ((item: RosterItem) => void)[] = [];
  /** Pushes are stored and told to the tabs one after another, in the order the server sent them. */
  private pushes: Promise<unknown> = Promise.resolve();
  /** How the last sync went, for tests and the logs: 'full' roster, or 'unchanged' (only pushes follow). */
  lastSync: 'full' | 'unchanged' | null = null;

  constructor(private readonly ctx: SessionContext) {
    ctx.conn.onIq('set', NS.roster, (iq) => this.onPush(iq));
  }

  list(): ContactDTO[] {
    return [...this.items.values()].filter((i) => i.subscription !== 'remove');
  }

  has(jid: string): boolean {
    return this.items.has(jid);
  }

  get(jid: string): RosterItem | undefined {
    return this.items.get(jid);
  }

  /** Called for every item a push adds, changes or removes (subscription requests follow approvals made elsewhere). */
  onChange(listener: (item: RosterItem) => void): void {
    this.listeners.push(listener);
  }

  /** Starts from the stored copy so tabs see contacts at once, then asks the server for the truth. */
  async loadStored(): Promise<void> {
    for (const c of await this.ctx.stores.contacts.list(this.ctx.accountId)) this.items.set(c.jid, c);
  }

  /**
   * With versioning the server answers an empty result when our stored copy is current (its changes, if any, come as
   * pushes), or the whole roster with its new version. The stored copy is read again: it is the one the version names.
   */
  async sync(): Promise<void> {
    const versioned = this.ctx.conn.offers('ver', NS.rosterVer);
    const held = versioned ? ((await this.ctx.stores.contacts.version(this.ctx.accountId)) ?? '') : undefined;
    const result = await this.ctx.conn.iq(buildRosterGet(held));
    const query = result.getChild('query', NS.roster);
    this.ctx.log.debug({ held, got: rosterVersion(query) }, 'roster fetched');
    if (versioned && !query) {
      this.lastSync = 'unchanged';
      this.items.clear();
      await this.loadStored();
    } else {
      this.lastSync = 'full';
      const items = parseRosterQuery(query);
      this.items.clear();
      for (const item of items) this.items.set(item.jid, item);
      await this.ctx.stores.contacts.replaceAll(this.ctx.accountId, items, versioned ? rosterVersion(query) : null);
    }
    this.ctx.emit('contacts', { contacts: this.list() });
  }

  /**
   * RFC 6121 §2.1.6: a push is only legitimate from our own bare JID (or without 'from'); the client MUST ignore any
   * other. Ignored means not applied, and not acknowledged either: an iq set still needs an answer (RFC 6120 §8.2.3),
   * and <service-unavailable/> is what an entity answers for what it does not serve (§8.4), so the sender learns nothing.
   */
  private async onPush(iq: Element): Promise<Element | void> {
    const from = iq.attrs.from ? bareOf(iq.attrs.from) : this.ctx.jid;
    if (from !== this.ctx.jid) {
      this.ctx.log.warn({ from: iq.attrs.from }, 'roster push from a foreign entity ignored');
      throw new XmppStanzaError('service-unavailable', 'cancel');
    }
    const query = iq.getChild('query', NS.roster);
    // §2.1.6: a push carries exactly one item; anything else is not a push.
    const items = parseRosterQuery(query);
    if (items.length !== 1) throw new XmppStanzaError('bad-request', 'modify');
    const item = items[0]!;
    const ver = rosterVersion(query);
    if (item.subscription === 'remove') this.items.delete(item.jid);
    else this.items.set(item.jid, item);
    // In order: a later push must never be overwritten in the database, or in a tab, by an earlier one still in flight.
    const applied = this.pushes.then(async () => {
      await this.ctx.stores.contacts.applyPush(this.ctx.accountId, item, ver);
      this.ctx.emit('contact', { contact: item });
      for (const listener of this.listeners) listener(item);
    });
    this.pushes = applied.catch(() => undefined);
    await applied;
    return xml('iq', { type: 'result' });
  }

  /** Adds or changes a contact's name and groups (a roster set replaces the item: RFC 6121 §2.3). */
  async set(jid: string, name: string | null, groups: readonly string[]): Promise<void> {
    await this.ctx.conn.iq(buildRosterSet({ jid, name, groups }));
  }

  async remove(jid: string): Promise<void> {
    await this.ctx.conn.iq(buildRosterSet({ jid, remove: true }));
  }

  /** Whether a subscription request from `jid` answers itself: we asked to see them, or already do (RFC 6121 §3.4). */
  shouldAutoApprove(jid: string): boolean {
    const item = this.items.get(jid);
    return !!item && (item.ask || item.subscription === 'to' || item.subscription === 'both');
  }
}
