/**
 * The tab's rooms (XEP-0045): every joined or known room by JID as the server last described it, the occupants of the
 * rooms a view asked for (`roomOccupants`, then the batched `occupants` deltas), the pending invitations, the coalesced
 * join/leave lines of the timeline, and the live mention counters. Fed only by contract events: tested without a DOM.
 */
import type { InvitationDTO, OccupantDTO, OccupantsDeltaDTO, RoomDTO, RoomRole } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';
import { compareIds } from './order.js';

/** Bounds on what a hostile room or a flood of invitations can make a tab hold. */
export const MAX_ROOMS = 2_000;
export const MAX_OCCUPANTS = 20_000;
export const MAX_INVITATIONS = 50;
export const MAX_PRESENCE_LINES = 50;
/** Deltas closer than this to the previous line of the same room are merged into it. */
export const COALESCE_MS = 2 * 60_000;
/** Nicks named on one presence line; the rest are counted. */
export const NAMED_NICKS = 20;

/** One compact timeline line: "Ann, Bob and 40 others joined · Cy left". Not stored on the server. */
export interface PresenceLine {
  /** Unique in the tab, for list keys. */
  key: string;
  room: string;
  /** ISO 8601 of the first and last delta merged into the line: placed in the timeline at `at`. */
  at: string;
  until: string;
  joined: { nicks: string[]; total: number };
  left: { nicks: string[]; total: number };
}

export interface OccupantGroup {
  role: Exclude<RoomRole, 'none'>;
  occupants: OccupantDTO[];
}

interface RoomOccupants {
  byNick: Map<string, OccupantDTO>;
  /** Sorted groups, recomputed on the first read after a change (a 5,000-occupant flood sorts once per render). */
  groups?: OccupantGroup[] | undefined;
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
const GROUP_ORDER: OccupantGroup['role'][] = ['moderator', 'participant', 'visitor'];

let lineSeq = 0;

export class RoomsStore extends Observable {
  private readonly rooms = new Map<string, RoomDTO>();
  private readonly occupantsOf = new Map<string, RoomOccupants>();
  private invitationList: InvitationDTO[] = [];
  private readonly lines = new Map<string, PresenceLine[]>();
  /** Mentions of our nick that arrived live since the room's last snapshot, not read yet (row ids). */
  private readonly liveMentions = new Map<string, Set<string>>();

  reset(rooms: readonly RoomDTO[], invitations: readonly InvitationDTO[]): void {
    this.rooms.clear();
    this.liveMentions.clear();
    for (const room of rooms.slice(0, MAX_ROOMS)) this.rooms.set(room.jid, room);
    // Occupants may have changed while the tab was away: a view asks again (roomOccupants) for what it shows.
    this.occupantsOf.clear();
    this.invitationList = invitations.slice(-MAX_INVITATIONS);
    this.notify();
  }

  /** A room joined or changed: the server's counts replace the live ones (they include what arrived so far). */
  upsert(room: RoomDTO): void {
    if (!this.rooms.has(room.jid) && this.rooms.size >= MAX_ROOMS) return;
    this.rooms.set(room.jid, room);
    this.liveMentions.delete(room.jid);
    this.notify();
  }

  remove(jid: string): void {
    const had = this.rooms.delete(jid);
    this.occupantsOf.delete(jid);
    this.lines.delete(jid);
    this.liveMentions.delete(jid);
    if (had) this.notify();
  }

  get(jid: string): RoomDTO | undefined {
    return this.rooms.get(jid);
  }

  has(jid: string): boolean {
    return this.rooms.has(jid);
  }

  /** By name (else address), case and accents ignored. */
  all(): RoomDTO[] {
    return [...this.rooms.values()].sort((a, b) => collator.compare(roomName(a), roomName(b)) || (a.jid < b.jid ? -1 : 1));
  }

  // --- occupants ---

  /** The full list (`roomOccupants` answer): replaces what the tab had. */
  setOccupants(room: string, occupants: readonly OccupantDTO[]): void {
    const byNick = new Map<string, OccupantDTO>();
    for (const o of occupants) {
      if (byNick.size >= MAX_OCCUPANTS) break;
      byNick.set(o.nick, o);
    }
    this.occupantsOf.set(room, { byNick });
    this.notify();
  }

  /** Whether the tab holds the list of `room` (asked for it since the last hello). */
  hasOccupants(room: string): boolean {
    return this.occupantsOf.has(room);
  }

  /** A batched delta: applied to the list if the tab holds it, counted in the room, and added to the timeline lines. */
  applyDelta(delta: OccupantsDeltaDTO, now: Date = new Date()): void {
    const list = this.occupantsOf.get(delta.room);
    if (list) {
      for (const nick of delta.gone) list.byNick.delete(nick);
      for (const o of delta.present) {
        if (!list.byNick.has(o.nick) && list.byNick.size >= MAX_OCCUPANTS) continue;
        list.byNick.set(o.nick, o);
      }
      list.groups = undefined;
    }
    const room = this.rooms.get(delta.room);
    if (room && room.occupantCount !== delta.count) this.rooms.set(delta.room, { ...room, occupantCount: delta.count });
    if (room && (delta.joined.total > 0 || delta.left.total > 0)) this.addLine(delta, now);
    this.notify();
  }

  occupant(room: string, nick: string): OccupantDTO | undefined {
    return this.occupantsOf.get(room)?.byNick.get(nick);
  }

  occupantCount(room: string): number {
    return this.occupantsOf.get(room)?.byNick.size ?? this.rooms.get(room)?.occupantCount ?? 0;
  }

  /** Moderators, participants, visitors (empty groups left out), each by nick. */
  groups(room: string): OccupantGroup[] {
    const list = this.occupantsOf.get(room);
    if (!list) return [];
    return (list.groups ??= groupOccupants(list.byNick.values()));
  }

  // --- presence lines ---

  presenceLines(room: string): readonly PresenceLine[] {
    return this.lines.get(room) ?? [];
  }

  /** A new array on every change: views tell a change by identity. */
  private addLine(delta: OccupantsDeltaDTO, now: Date): void {
    const lines = this.lines.get(delta.room) ?? [];
    const last = lines.at(-1);
    const at = now.toISOString();
    if (last && now.getTime() - Date.parse(last.until) <= COALESCE_MS) {
      this.lines.set(delta.room, [...lines.slice(0, -1), coalesce(last, delta, at)]);
      return;
    }
    const line: PresenceLine = {
      key: `presence-${++lineSeq}`,
      room: delta.room,
      at,
      until: at,
      joined: { nicks: delta.joined.nicks.slice(0, NAMED_NICKS), total: delta.joined.total },
      left: { nicks: delta.left.nicks.slice(0, NAMED_NICKS), total: delta.left.total },
    };
    this.lines.set(delta.room, [...lines, line].slice(-MAX_PRESENCE_LINES));
  }

  // --- mentions ---

  /** A room message arrived live: a new mention of our nick counts until it is read. */
  onMessage(room: string, id: string, mentionsMe: boolean, incoming: boolean): void {
    if (!mentionsMe || !incoming || !this.rooms.has(room)) return;
    let ids = this.liveMentions.get(room);
    if (!ids) this.liveMentions.set(room, (ids = new Set()));
    if (ids.has(id)) return;
    ids.add(id);
    this.notify();
  }

  /** Read up to `upTo` somewhere: the mentions up to it are seen (the server's count too, at the room's next event). */
  onRead(room: string, upTo: string): void {
    const r = this.rooms.get(room);
    if (!r) return;
    const ids = this.liveMentions.get(room);
    if (ids) for (const id of [...ids]) if (compareIds(id, upTo) <= 0) ids.delete(id);
    // The snapshot counted mentions before any live one: a read up to a live message covers them all.
    if (r.mentions > 0 || r.unread > 0) this.rooms.set(room, { ...r, mentions: 0, unread: 0 });
    this.notify();
  }

  mentions(room: string): number {
    return (this.rooms.get(room)?.mentions ?? 0) + (this.liveMentions.get(room)?.size ?? 0);
  }

  // --- invitations ---

  invitations(): readonly InvitationDTO[] {
    return this.invitationList;
  }

  addInvitation(invitation: InvitationDTO): void {
    const rest = this.invitationList.filter((i) => i.id !== invitation.id);
    this.invitationList = [...rest, invitation].slice(-MAX_INVITATIONS);
    this.notify();
  }

  removeInvitation(id: string): void {
    const rest = this.invitationList.filter((i) => i.id !== id);
    if (rest.length === this.invitationList.length) return;
    this.invitationList = rest;
    this.notify();
  }
}

/** Merges a delta into a line: nicks named once (in arrival order, at most NAMED_NICKS), totals added. */
export function coalesce(line: PresenceLine, delta: OccupantsDeltaDTO, until: string): PresenceLine {
  const merge = (a: PresenceLine['joined'], b: OccupantsDeltaDTO['joined']) => {
    const nicks = [...a.nicks];
    for (const n of b.nicks) if (nicks.length < NAMED_NICKS && !nicks.includes(n)) nicks.push(n);
    return { nicks, total: a.total + b.total };
  };
  return { ...line, until, joined: merge(line.joined, delta.joined), left: merge(line.left, delta.left) };
}

export function groupOccupants(occupants: Iterable<OccupantDTO>): OccupantGroup[] {
  const byRole = new Map<OccupantGroup['role'], OccupantDTO[]>();
  for (const o of occupants) {
    // 'none' is someone leaving: not listed (a delta's `gone` removes them).
    if (o.role === 'none') continue;
    let list = byRole.get(o.role);
    if (!list) byRole.set(o.role, (list = []));
    list.push(o);
  }
  const groups: OccupantGroup[] = [];
  for (const role of GROUP_ORDER) {
    const list = byRole.get(role);
    if (list) groups.push({ role, occupants: list.sort((a, b) => collator.compare(a.nick, b.nick) || (a.nick < b.nick ? -1 : 1)) });
  }
  return groups;
}

/** The name shown for a room: its name, else the local part of its address. */
export function roomName(room: Pick<RoomDTO, 'jid' | 'name'>): string {
  const name = room.name?.trim();
  return name ? name : room.jid.slice(0, room.jid.indexOf('@'));
}

/** A MUC-PM's peer `room@service/nick` split; null for a bare JID. */
export function splitOccupantJid(peer: string): { room: string; nick: string } | null {
  const slash = peer.indexOf('/');
  if (slash < 0) return null;
  return { room: peer.slice(0, slash), nick: peer.slice(slash + 1) };
}
