/**
 * Invitations to rooms: direct (XEP-0249, from a user) and mediated (XEP-0045 §7.8.2, relayed by the room), shown to
 * every tab and answered from any. Kept in memory, bounded (at most MAX_PENDING, the newest kept): an invitation that
 * a restart loses is sent again by whoever cares, and no stranger can grow a table of ours.
 * Strangers (not in the roster) are rate-limited per account and may have one pending invitation per room, so a flood
 * never reaches the sidebar; blocked JIDs never get here (the session drops their stanzas).
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { InvitationsPort, RoomRegistryPort } from './ports.js';
import type { RoomsAdminContext } from './context.js';
import type { InvitationDTO, RoomDTO } from '../../realtime/contract/rooms.js';
import { buildDecline, parseDecline, parseInvitation, validNick, NS_MUC_USER, type Invitation } from '../../stanza/muc.js';
import { parseJid } from '../../stanza/jid.js';
import { CommandError } from '../messages.js';
import { roomCommandError } from './iq-errors.js';

export interface InvitationLimits {
  /** Invitations from strangers accepted per window, for the whole account. */
  strangerPerWindow: number;
  windowMs: number;
  /** Pending invitations, all senders together; past it the oldest goes. */
  maxPending: number;
  /** An invitation unanswered this long is dropped (its inviter has moved on). */
  maxAgeMs: number;
}

export const DEFAULT_INVITATION_LIMITS: InvitationLimits = { strangerPerWindow: 5, windowMs: 10 * 60_000, maxPending: 50, maxAgeMs: 7 * 24 * 3600_000 };

interface Pending {
  dto: InvitationDTO;
  password: string | null;
  /** By our clock (this.now), for expiry: a delayed invitation's own stamp is not trusted for that. */
  arrived: number;
}

export interface InvitationsDeps {
  /** The inviter is one of our contacts (in the roster). */
  isContact(bare: string): boolean;
  /**
   * The inviter is blocked. The session drops what a blocked JID sends, but a mediated invitation comes from the
   * room, naming the inviter inside: checked here.
   */
  isBlocked?(bare: string): boolean;
  /** After an accepted invitation's join: bookmark the room as a join from a tab would. */
  joined?(room: RoomDTO, password: string | null): Promise<void>;
  now?(): number;
  limits?: Partial<InvitationLimits>;
}

/**
 * A semi-anonymous room relays an invitation from the inviter's occupant JID (room@service/nick), not their real
 * JID: keep it whole, so the tab says who in the room invites and a decline goes back to that occupant.
 */
function mediatedInviter(el: Element, inv: Invitation): string {
  const raw = el.getChild('x', NS_MUC_USER)?.getChild('invite')?.attrs.from;
  const j = typeof raw === 'string' ? parseJid(raw) : null;
  return j && j.bare === inv.room && j.resource && validNick(j.resource) ? `${j.bare}/${j.resource}` : inv.inviter;
}

export class Invitations implements InvitationsPort {
  /** By id, in arrival order (oldest first). */
  private readonly pending = new Map<string, Pending>();
  /** Arrival times of accepted strangers' invitations within the window. */
  private strangerTimes: number[] = [];
  private readonly limits: InvitationLimits;
  private readonly now: () => number;

  constructor(
    private readonly ctx: RoomsAdminContext,
    private readonly registry: RoomRegistryPort,
    private readonly deps: InvitationsDeps,
  ) {
    this.limits = { ...DEFAULT_INVITATION_LIMITS, ...deps.limits };
    this.now = deps.now ?? Date.now;
  }

  list(): InvitationDTO[] {
    this.expire();
    return [...this.pending.values()].map((p) => p.dto);
  }

  private expire(): void {
    const now = this.now();
    for (const p of [...this.pending.values()]) if (now - p.arrived > this.limits.maxAgeMs) this.drop(p.dto.id);
  }

  receive(el: Element, receivedAt: Date): boolean {
    if (el.name !== 'message') return false;
    const decline = parseDecline(el);
    if (decline) {
      // Someone declined an invitation of ours: nothing to store; the log says so for whoever wonders.
      this.ctx.log.info({ room: decline.room }, 'an invitation was declined');
      return true;
    }
    const inv = parseInvitation(el);
    if (!inv) return false;
    // Our own invitation, sent from another client of the account (a sent carbon): nothing to ask us.
    if (inv.kind === 'direct' && inv.inviter === this.ctx.jid) return true;
    this.admit(inv.kind === 'mediated' ? { ...inv, inviter: mediatedInviter(el, inv) } : inv, receivedAt);
    return true;
  }

  private admit(inv: Invitation, receivedAt: Date): void {
    this.expire();
    const view = this.registry.get(inv.room);
    // Already in (or on the way in): nothing to ask.
    if (view && view.state !== 'left') return;
    if (this.deps.isBlocked?.(inv.inviter.split('/')[0]!)) return;
    const stranger = !this.deps.isContact(inv.inviter);
    const same = [...this.pending.values()].find((p) => p.dto.room === inv.room && p.dto.from === inv.inviter);
    if (stranger) {
      if (same) return;
      const now = this.now();
      this.strangerTimes = this.strangerTimes.filter((t) => now - t < this.limits.windowMs);
      if (this.strangerTimes.length >= this.limits.strangerPerWindow) {
        this.ctx.log.debug({ room: inv.room }, 'invitation from a stranger dropped by the rate limit');
        return;
      }
      this.strangerTimes.push(now);
    } else if (same) {
      // A contact asking again: the newer one (its reason, its password) replaces the older.
      this.drop(same.dto.id);
    }
    const dto: InvitationDTO = {
      id: randomUUID(),
      kind: inv.kind,
      room: inv.room,
      from: inv.inviter,
      reason: inv.reason,
      hasPassword: inv.password !== null && inv.password !== '',
      at: receivedAt.toISOString(),
      stranger,
    };
    this.pending.set(dto.id, { dto, password: inv.password || null, arrived: this.now() });
    while (this.pending.size > this.limits.maxPending) this.drop(this.pending.keys().next().value as string);
    this.ctx.emit('invitation', { invitation: dto });
  }

  private drop(id: string): void {
    if (this.pending.delete(id)) this.ctx.emit('invitationGone', { id });
  }

  /** Every pending invitation to `room` is moot once we are in it. */
  dropForRoom(room: string): void {
    for (const p of [...this.pending.values()]) if (p.dto.room === room) this.drop(p.dto.id);
  }

  /** Accept: join with the password passed along. Decline: a mediated one is declined through the room; a direct one needs no answer. */
  async answer(a: { id: string; accept: boolean; nick?: string; reason?: string }): Promise<{ room: RoomDTO | null }> {
    const p = this.pending.get(a.id);
    if (!p) throw new CommandError('That invitation is no longer pending.');
    const { dto, password } = p;
    if (!a.accept) {
      this.drop(a.id);
      if (dto.kind === 'mediated') {
        const decline = buildDecline(dto.room, dto.from, a.reason);
        if (decline) await this.ctx.conn.send(decline).catch((err: unknown) => this.ctx.log.info({ err }, 'sending a decline failed'));
      }
      return { room: null };
    }
    let room: RoomDTO;
    try {
      room = await this.registry.join(dto.room, { ...(a.nick ? { nick: a.nick } : {}), ...(password ? { password } : {}) });
    } catch (err) {
      // The invitation stays: the tab may try again with another nickname.
      const e = roomCommandError(err, 'Joining the room failed');
      throw e instanceof CommandError ? e : new CommandError(`Joining the room failed: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown reason'}`);
    }
    this.dropForRoom(dto.room);
    await this.deps.joined?.(room, password)?.catch((err: unknown) => this.ctx.log.warn({ err }, 'bookmarking an accepted invitation failed'));
    return { room };
  }
}
