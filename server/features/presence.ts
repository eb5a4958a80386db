/** Presence (RFC 6121 §4): contacts' resources, the best show per contact, and our own presence. */
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { PresenceDTO, ResourcePresenceDTO } from '../realtime/contract.js';
import { capsElement } from './disco.js';
import { registerLastActivity } from './software.js';
import { buildPhotoUpdate } from '../stanza/avatar.js';
import { buildPresence, parsePresence, SHOW_RANK, type InboundPresence, type Show } from '../stanza/presence.js';

/** Resources listed per contact (a hostile contact could announce thousands). */
const MAX_RESOURCES = 20;

interface ResourcePresence {
  show: Show;
  status: string | null;
  priority: number;
}

export class PresenceTracker {
  private readonly resources = new Map<string, Map<string, ResourcePresence>>();
  own: { show: Show; status: string | null } = { show: 'available', status: null };
  /** Presence the user chose; `own` may differ while every tab is closed (auto-away). */
  private chosen: { show: Show; status: string | null } = { show: 'available', status: null };
  /** When the last tab left long enough ago to go away (null: a tab is here): the user's idle time (XEP-0012). */
  private awaySince: number | null = null;
  /** Our avatar's SHA-1 for XEP-0153 (null: none); undefined: not known, so presence carries no vcard-temp:x:update. */
  private photo: string | null | undefined = undefined;

  constructor(
    private readonly ctx: SessionContext,
    /** subscribe / unsubscribe from others (RFC 6121 §3), and whether a sender is blocked. */
    private readonly onSubscription: (p: InboundPresence) => void,
  ) {
    registerLastActivity(ctx, () => (this.awaySince === null ? 0 : (Date.now() - this.awaySince) / 1000));
  }

  all(): PresenceDTO[] {
    return [...this.resources.keys()].map((jid) => this.best(jid));
  }

  /** The contact's presence: the resource with the highest priority, then the most available, leads (RFC 6121 §8.5.2). */
  best(jid: string): PresenceDTO {
    const ordered = [...(this.resources.get(jid) ?? new Map<string, ResourcePresence>())]
      .map(([resource, p]) => ({ resource, ...p }))
      .sort((a, b) => b.priority - a.priority || SHOW_RANK[b.show] - SHOW_RANK[a.show] || a.resource.localeCompare(b.resource));
    const best = ordered[0];
    const resources: ResourcePresenceDTO[] = ordered.slice(0, MAX_RESOURCES).map((r) => ({ resource: r.resource, show: r.show, status: r.status }));
    return best ? { jid, show: best.show, status: best.status, resources } : { jid, show: 'unavailable', status: null, resources: [] };
  }

  /** A new XMPP session knows nobody's presence: forget, then announce ours (the server then probes contacts). */
  async startSession(): Promise<void> {
    this.resources.clear();
    await this.ctx.conn.send(buildPresence(this.own.show, this.own.status, this.extensions()));
  }

  async handle(el: Element): Promise<void> {
    const p = parsePresence(el);
    if (!p) return;
    if (p.bare === this.ctx.jid) return; // our other resources: not a contact
    switch (p.type) {
      case 'available': {
        let res = this.resources.get(p.bare);
        if (!res) this.resources.set(p.bare, (res = new Map()));
        // Past the bound only known resources are updated: memory stays flat whatever a contact announces.
        if (res.size >= MAX_RESOURCES * 5 && !res.has(p.resource)) return;
        res.set(p.resource, { show: p.show, status: p.status, priority: p.priority });
        break;
      }
      case 'unavailable':
      case 'error':
        if (p.resource) this.resources.get(p.bare)?.delete(p.resource);
        else this.resources.delete(p.bare);
        break;
      case 'subscribe':
      case 'unsubscribe':
        return this.onSubscription(p);
      default:
        return;
    }
    this.ctx.emit('presence', this.best(p.bare));
  }

  /** Someone was blocked: what we knew of their presence goes, and every tab shows them offline. */
  forget(jid: string): void {
    if (this.resources.delete(jid)) this.ctx.emit('presence', this.best(jid));
  }

  /** The user chose a presence in a tab: every tab shows it. */
  async set(show: Show, status: string | null): Promise<void> {
    this.chosen = { show, status };
    this.ctx.emit('ownPresence', this.chosen);
    await this.apply(show, status);
  }

  /** Movim's behaviour: away while no tab is open, back to the chosen presence when one returns. */
  async autoAway(away: boolean): Promise<void> {
    this.awaySince = away ? (this.awaySince ?? Date.now()) : null;
    if (away) {
      if (this.chosen.show === 'available' || this.chosen.show === 'chat') await this.apply('away', this.chosen.status);
    } else {
      await this.apply(this.chosen.show, this.chosen.status);
    }
  }

  private async apply(show: Show, status: string | null): Promise<void> {
    if (this.own.show === show && this.own.status === status) return;
    this.own = { show, status };
    await this.ctx.conn.send(buildPresence(show, status, this.extensions()));
    // Rooms get presence only when it is addressed to them (XEP-0045 §7.7): the room registry sends it on.
    this.onOwnChange?.(this.own);
  }

  /** Set by the session: our presence changed (the room registry tells the rooms we are in). */
  onOwnChange: ((own: { show: Show; status: string | null }) => void) | null = null;

  private extensions() {
    return this.photo === undefined ? [capsElement()] : [capsElement(), buildPhotoUpdate(this.photo)];
  }

  /** Our avatar changed (XEP-0153 §4.1): presence is sent again with its hash. */
  async setPhoto(hash: string | null): Promise<void> {
    if (this.photo === hash) return;
    this.photo = hash;
    await this.ctx.conn.send(buildPresence(this.own.show, this.own.status, this.extensions()));
  }
}
