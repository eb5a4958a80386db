/**
 * Subscription requests (RFC 6121 §3): who asks to see our presence, answered from any tab. The server delivers
 * pending requests again at the start of every XMPP session (§3.1.3), so they are kept in memory only, bounded:
 * a flood from strangers costs at most MAX_PENDING entries and one event a second, and the tabs show it as one notice.
 */
import type { SessionContext } from './context.js';
import type { Roster } from './roster.js';
import type { InboundPresence } from '../stanza/presence.js';
import { buildSubscription } from '../stanza/presence.js';
import { NS } from '../stanza/ns.js';
import { SUBSCRIPTION_LIST_MAX, type SubscriptionRequestDTO, type SubscriptionRequestsDTO } from '../realtime/contract/roster.js';
import { CommandError } from './messages.js';

const MAX_PENDING = 1000;
const EMIT_EVERY_MS = 1000;

export class Subscriptions {
  /** Insertion order is arrival order. */
  private readonly pending = new Map<string, SubscriptionRequestDTO>();
  private dropped = 0;
  private emitTimer: NodeJS.Timeout | null = null;
  private emitAgain = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly roster: Roster,
    /** Our nickname, to introduce ourselves in a request (XEP-0172 §4.1); null when we have none. */
    private readonly ownNick: () => Promise<string | null> = async () => null,
  ) {
    // Approved or refused from another client of the account: the roster push says they now see us, or are gone.
    roster.onChange((item) => {
      if (item.subscription === 'from' || item.subscription === 'both' || item.subscription === 'remove') this.resolved(item.jid);
    });
  }

  /** A new XMPP session: the server delivers what is still pending again. */
  reset(): void {
    this.pending.clear();
    this.dropped = 0;
    this.changed();
  }

  snapshot(): SubscriptionRequestsDTO {
    const newestFirst = [...this.pending.values()].reverse().slice(0, SUBSCRIPTION_LIST_MAX);
    return { requests: newestFirst, total: this.pending.size };
  }

  has(jid: string): boolean {
    return this.pending.has(jid);
  }

  /** subscribe / unsubscribe presence from someone else (the tracker passes them on; a blocked sender never gets here). */
  handle(p: InboundPresence): void {
    if (p.type === 'subscribe') {
      if (this.roster.shouldAutoApprove(p.bare)) {
        void this.ctx.conn.send(buildSubscription(p.bare, 'subscribed')).catch(() => undefined);
        return this.resolved(p.bare);
      }
      const known = this.pending.get(p.bare);
      if (known) {
        known.nick = p.nick ?? known.nick;
      } else if (this.pending.size >= MAX_PENDING) {
        if (this.dropped++ === 0) this.ctx.log.warn({ pending: this.pending.size }, 'subscription requests flood: further requests wait for the next session');
        return;
      } else {
        this.pending.set(p.bare, { jid: p.bare, nick: p.nick, at: new Date().toISOString() });
      }
      this.changed();
    } else if (p.type === 'unsubscribe') {
      // They withdrew their request (§3.3): nothing left to answer.
      this.resolved(p.bare);
    }
  }

  /**
   * Adds a contact (name, groups) and asks to see their presence. When they asked first, this approves them too:
   * mutual in one step. Where the server supports pre-approval (§3.4) we let them see us as soon as they ask.
   */
  async addContact(jid: string, name: string | null, groups: readonly string[]): Promise<void> {
    await this.roster.set(jid, name, groups);
    await this.ctx.conn.send(buildSubscription(jid, 'subscribe', await this.ownNick()));
    if (this.pending.has(jid) || this.ctx.conn.offers('sub', NS.preApproval)) await this.ctx.conn.send(buildSubscription(jid, 'subscribed'));
    this.resolved(jid);
  }

  /** Lets them see our presence; if we neither see theirs nor asked, asks too (and they join the roster). */
  async approve(jid: string): Promise<void> {
    if (!this.pending.has(jid)) throw new CommandError('That request is no longer pending.');
    await this.ctx.conn.send(buildSubscription(jid, 'subscribed'));
    if (!this.roster.shouldAutoApprove(jid)) {
      const item = this.roster.get(jid);
      await this.roster.set(jid, item?.name ?? this.pending.get(jid)?.nick ?? null, item?.groups ?? []);
      await this.ctx.conn.send(buildSubscription(jid, 'subscribe', await this.ownNick()));
    }
    this.resolved(jid);
  }

  async deny(jid: string): Promise<void> {
    if (!this.pending.has(jid)) throw new CommandError('That request is no longer pending.');
    await this.ctx.conn.send(buildSubscription(jid, 'unsubscribed'));
    this.resolved(jid);
  }

  /** Drops a pending request without answering it (its sender was blocked by another client of the account). */
  forget(jid: string): void {
    this.resolved(jid);
  }

  /** Denies every pending request (a flood): one stanza each, sent in order. */
  async denyAll(): Promise<number> {
    const jids = [...this.pending.keys()];
    for (const jid of jids) {
      await this.ctx.conn.send(buildSubscription(jid, 'unsubscribed'));
      this.pending.delete(jid);
    }
    this.changed();
    return jids.length;
  }

  private resolved(jid: string): void {
    if (this.pending.delete(jid)) this.changed();
  }

  /** At most one event a second: the first change goes out at once, what follows within the second goes out after it. */
  private changed(): void {
    if (this.emitTimer) {
      this.emitAgain = true;
      return;
    }
    this.ctx.emit('subscriptionRequests', this.snapshot());
    this.emitTimer = setTimeout(() => {
      this.emitTimer = null;
      if (this.emitAgain) {
        this.emitAgain = false;
        this.changed();
      }
    }, EMIT_EVERY_MS);
    this.emitTimer.unref();
  }

  close(): void {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = null;
  }
}
