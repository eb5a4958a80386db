/** Roster (RFC 6121 §2): fetched on every new XMPP session, kept current by roster pushes, mirrored in PostgreSQL. */
import type { Element } from '@xmpp/xml';
import { xml } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { ContactDTO } from '../realtime/contract.js';
import { NS } from '../stanza/ns.js';
import { buildRosterGet, buildRosterSet, parseRosterQuery, type RosterItem } from '../stanza/roster.js';
import { buildSubscription } from '../stanza/presence.js';
import { bareOf } from '../stanza/jid.js';
import { XmppStanzaError } from '../xmpp/errors.js';

export class Roster {
  private readonly items = new Map<string, RosterItem>();

  constructor(private readonly ctx: SessionContext) {
    ctx.conn.onIq('set', NS.roster, (iq) => this.onPush(iq));
  }

  list(): ContactDTO[] {
    return [...this.items.values()].filter((i) => i.subscription !== 'remove');
  }

  has(jid: string): boolean {
    return this.items.has(jid);
  }

  /** Starts from the stored copy so tabs see contacts at once, then asks the server for the truth. */
  async loadStored(): Promise<void> {
    for (const c of await this.ctx.stores.contacts.list(this.ctx.accountId)) this.items.set(c.jid, c);
  }

  async sync(): Promise<void> {
    const result = await this.ctx.conn.iq(buildRosterGet());
    const items = parseRosterQuery(result.getChild('query', NS.roster));
    this.items.clear();
    for (const item of items) this.items.set(item.jid, item);
    await this.ctx.stores.contacts.replaceAll(this.ctx.accountId, items);
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
    for (const item of parseRosterQuery(iq.getChild('query', NS.roster))) {
      if (item.subscription === 'remove') {
        this.items.delete(item.jid);
        await this.ctx.stores.contacts.remove(this.ctx.accountId, item.jid);
      } else {
        this.items.set(item.jid, item);
        await this.ctx.stores.contacts.upsert(this.ctx.accountId, item);
      }
      this.ctx.emit('contact', { contact: item });
    }
    return xml('iq', { type: 'result' });
  }

  /** Adds a contact, asks for their presence and pre-approves ours (RFC 6121 §3.4). */
  async add(jid: string, name: string | null): Promise<void> {
    await this.ctx.conn.iq(buildRosterSet({ jid, name }));
    await this.ctx.conn.send(buildSubscription(jid, 'subscribe'));
    await this.ctx.conn.send(buildSubscription(jid, 'subscribed'));
  }

  async remove(jid: string): Promise<void> {
    await this.ctx.conn.iq(buildRosterSet({ jid, remove: true }));
  }

  /** Answers a subscription request from someone we asked to see, or already let see us. */
  shouldAutoApprove(jid: string): boolean {
    const item = this.items.get(jid);
    return !!item && (item.ask || item.subscription === 'to' || item.subscription === 'both');
  }
}
