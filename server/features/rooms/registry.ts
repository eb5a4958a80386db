/**
 * The rooms of one account session (one registry per AccountSession): our presence in each room (join, leave,
 * nickname, subject), its occupants (in memory, bounded, coalesced to the tabs), automatic rejoin on every fresh
 * XMPP session and after a Parley restart, and XEP-0410 self-ping. Room messages, bookmarks and invitations are
 * other parts reached through ports (ports.ts), set after construction and optional: without them rooms still work.
 *
 * Everything a room sends is untrusted: a hostile room can refuse, kick, flood presences or stay silent, and the
 * session goes on; presences from rooms never reach the roster's PresenceTracker.
 */
import { xml, type Element } from '@xmpp/xml';
import type { SessionContext } from '../context.js';
import type { RoomBookmarksPort, RoomMessagesPort, InvitationsPort, JoinOptions, RoomRegistryPort, RoomView } from './ports.js';
import type { OccupantDTO, RoomDTO, RoomErrorDTO, RoomErrorReason, RoomFeaturesDTO, RoomListingDTO, RoomState } from '../../realtime/contract/rooms.js';
import {
  NS_MUC_USER, buildDiscoInfoGet, buildDiscoItemsGet, buildInstantRoom, buildJoin, buildLeave, buildNickChange, buildSelfPing,
  buildSubjectChange, isMucService, mucPmOf, parseDiscoInfo, parseDiscoItems, parseGroupchat, parseOccupantPresence, parseRoomInfo,
  parseSelfPingAnswer, validNick, type Affiliation, type JoinHistory, type LeaveReason, type MucPresenceError, type Occupant,
  type OccupantPresence, type Role, type RoomInfo,
} from '../../stanza/muc.js';
import { parseJid } from '../../stanza/jid.js';
import { NS } from '../../stanza/ns.js';
import { capsElement } from '../disco.js';
import { CommandError } from '../messages.js';
import { XmppStanzaError } from '../../xmpp/errors.js';
import type { RoomRow } from '../../store/rooms.js';
import { OccupantTable } from './occupants.js';
import { OccupantCoalescer } from './coalescer.js';
import { DEFAULT_SELF_PING, SelfPinger, type SelfPingTiming } from './self-ping.js';

export interface RegistryTiming {
  /** A join without an answer this long is given up ('timeout'). */
  joinTimeoutMs: number;
  /** The room's disco#info before the join waits this long at most. */
  discoTimeoutMs: number;
  /** Occupant deltas to the tabs: at most one per room per window. */
  coalesceMs: number;
  /** A rejoin refused for a passing reason (no answer, nickname taken by our own ghost, full) is tried again after this, doubling up to 16x. */
  rejoinRetryMs: number;
  selfPing: SelfPingTiming;
}

export const DEFAULT_TIMING: RegistryTiming = { joinTimeoutMs: 30_000, discoTimeoutMs: 10_000, coalesceMs: 100, rejoinRetryMs: 60_000, selfPing: DEFAULT_SELF_PING };

/** Refusals of a rejoin that may pass: the room stays wanted and is tried again. The others (banned, members-only...) end it. */
const PASSING: ReadonlySet<RoomErrorReason> = new Set(['timeout', 'nickname-in-use', 'room-full', 'other']);

/** Rooms one account may be in or know at once. */
export const MAX_ROOMS = 1000;
/** Rooms a `roomBrowse` page lists, and items read from a service's disco#items. */
export const BROWSE_PAGE = 100;
const MAX_BROWSE_ITEMS = 10_000;
const MAX_SERVICES = 50;
/** A room's own changes (its subject) are stored at most this often. */
const PERSIST_EVERY_MS = 1000;

export interface RegistryDeps {
  /** The account's nickname (profile), for the default room nickname; null: the JID's local part. */
  nickname?: () => Promise<string | null>;
  /** Our presence (show, status), carried by each join so the room shows us as the roster does. */
  ownPresence?: () => { show: string; status: string | null };
  /** Avatar hash of a real bare JID, when the avatar cache knows it. */
  avatarOf?: (bareJid: string) => string | null;
  timing?: Partial<RegistryTiming>;
}

/** Why a join failed, as the tabs see it. */
export class RoomJoinError extends CommandError {
  /** The room as it stands after the refusal (state 'left', this error). */
  room: RoomDTO | null = null;
  constructor(readonly error: RoomErrorDTO) {
    super(
      (error.text ?? `Could not join the room: ${error.reason}`) + (error.reason === 'nickname-in-use' && error.suggestion ? ` (“${error.suggestion}” is free)` : ''),
    );
  }
}

interface Pending {
  nick: string;
  promise: Promise<RoomDTO>;
  resolve: (dto: RoomDTO) => void;
  reject: (err: RoomJoinError) => void;
  timer: NodeJS.Timeout | null;
  /** A rejoin of a room we were in (not a join asked by a tab). */
  rejoin: boolean;
}

interface Entry {
  jid: string;
  nick: string;
  name: string | null;
  description: string | null;
  state: RoomState;
  error: RoomErrorDTO | null;
  subject: string | null;
  subjectBy: string | null;
  role: Role;
  affiliation: Affiliation;
  features: RoomFeaturesDTO;
  occupants: OccupantTable;
  coalescer: OccupantCoalescer;
  bookmarked: boolean;
  autojoin: boolean;
  /** In memory only (never stored): used for rejoins of this process. */
  password: string | undefined;
  /** We want to be in it: rejoined on every fresh session. */
  wanted: boolean;
  /** Ever joined in this process or before (stored): a failed first join is not kept in the store. */
  known: boolean;
  pending: Pending | null;
  nickChange: Pending | null;
  /** The next try of a rejoin refused for a passing reason, and how many came before. */
  retry: NodeJS.Timeout | null;
  retries: number;
  /** Our leave was sent and its unavailable self-presence not seen yet: a join right after must not take it as a removal. */
  leavesInFlight: number;
  /** `room` events to the tabs: the pending one and when the last went out. */
  roomTimer: NodeJS.Timeout | null;
  lastRoomEmit: number;
  lastEmittedState: RoomState | null;
  persistQueued: boolean;
  persistTimer: NodeJS.Timeout | null;
  lastPersist: number;
}

const NO_FEATURES: RoomFeaturesDTO = {
  membersOnly: false, nonAnonymous: false, persistent: false, passwordProtected: false, public: null, moderated: false, mam: false, moderation: false,
};

export function featuresOf(info: RoomInfo): RoomFeaturesDTO {
  return {
    membersOnly: info.membersOnly,
    nonAnonymous: info.nonAnonymous,
    persistent: info.persistent,
    passwordProtected: info.passwordProtected,
    public: info.isPublic,
    moderated: info.moderated,
    mam: info.mam,
    moderation: info.moderation !== null,
  };
}

export function omemoOf(f: RoomFeaturesDTO): RoomDTO['omemo'] {
  if (f.membersOnly && f.nonAnonymous) return { allowed: true, reason: null };
  if (!f.nonAnonymous) return { allowed: false, reason: 'OMEMO needs a non-anonymous room: here the members’ addresses are hidden.' };
  return { allowed: false, reason: 'OMEMO needs a members-only room: anyone may join this one.' };
}

/** A room's bare JID (local@domain, lower-case), or null. */
export function roomAddress(raw: string): string | null {
  const j = parseJid(raw.trim());
  return j && j.local && !j.resource ? j.bare : null;
}

const LEAVE_ERRORS: Partial<Record<LeaveReason, RoomErrorReason>> = {
  kicked: 'kicked',
  banned: 'banned',
  destroyed: 'destroyed',
  shutdown: 'shutdown',
  'affiliation-changed': 'members-only',
  'members-only': 'members-only',
};

export class RoomRegistry implements RoomRegistryPort {
  /** Room messages and their history (rooms-history); without it, room messages are dropped. */
  messages: RoomMessagesPort | null = null;
  bookmarks: RoomBookmarksPort | null = null;
  invitations: InvitationsPort | null = null;
  /**
   * Results of a room's own archive (XEP-0313 addressed to the room: `<message from=room><result xmlns=mam:2/>`),
   * handed over synchronously in arrival order (set by the room history part; without it they are dropped).
   */
  archiveResult: ((el: Element) => void) | null = null;
  readonly timing: RegistryTiming;
  private readonly rooms = new Map<string, Entry>();
  private readonly pinger: SelfPinger;
  /** Unread counts of room conversations, as the store said at the last hello. */
  private unread = new Map<string, number>();
  private mentionCounts = new Map<string, number>();
  private writes: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly deps: RegistryDeps = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
    // A getter: tests shorten the self-ping timing after construction.
    const self = this;
    this.pinger = new SelfPinger(
      {
        get silenceMs() {
          return self.timing.selfPing.silenceMs;
        },
        get checkMs() {
          return self.timing.selfPing.checkMs;
        },
      },
      (room) => this.selfPing(room),
    );
  }

  // ------------------------------------------------------------------------------------------------ the port

  get(room: string): RoomView | undefined {
    const e = this.rooms.get(room.toLowerCase());
    return e ? this.view(e) : undefined;
  }

  list(): RoomView[] {
    return [...this.rooms.values()].map((e) => this.view(e));
  }

  dto(room: string): RoomDTO | undefined {
    const e = this.rooms.get(room.toLowerCase());
    return e ? this.toDTO(e) : undefined;
  }

  all(): RoomDTO[] {
    return [...this.rooms.values()].map((e) => this.toDTO(e));
  }

  /** True for any room this session knows (joined or not): its stanzas are never a contact's. */
  isRoom(bare: string): boolean {
    return this.rooms.has(bare.toLowerCase());
  }

  async join(room: string, opts: JoinOptions = {}): Promise<RoomDTO> {
    const jid = roomAddress(room);
    if (!jid) throw new CommandError('That is not a room address.');
    if (opts.nick !== undefined && !validNick(opts.nick)) throw new CommandError('That nickname cannot be used.');
    let e = this.rooms.get(jid);
    if (e?.pending) return this.outcome(e.pending.promise, e, opts.quiet);
    if (e && e.state === 'joined') {
      if (opts.nick && opts.nick !== e.nick) return this.changeNick(jid, opts.nick);
      return this.toDTO(e);
    }
    if (!e) {
      if (this.rooms.size >= MAX_ROOMS) throw new CommandError(`At most ${MAX_ROOMS} rooms.`);
      e = this.newEntry(jid, null);
      this.rooms.set(jid, e);
    }
    e.wanted = true;
    if (opts.password !== undefined) e.password = opts.password;
    const nick = opts.nick ?? (e.nick || (await this.defaultNick()));
    return this.outcome(this.attempt(e, nick, false), e, opts.quiet);
  }

  async leave(room: string, forget: boolean): Promise<void> {
    const jid = roomAddress(room);
    if (!jid) throw new CommandError('That is not a room address.');
    const e = this.rooms.get(jid);
    if (e) {
      const wasIn = e.state !== 'left';
      // Mid-join, the nick asked for is the pending one (a new room has none of its own yet).
      const nick = e.pending?.nick || e.nick;
      e.wanted = false;
      this.settle(e, null);
      if (e.nickChange) this.failNickChange(e, { reason: 'other', text: 'Left the room.', suggestion: null });
      this.setLeft(e, null);
      if (wasIn) {
        const leave = buildLeave(jid, nick);
        if (leave) {
          e.leavesInFlight++;
          await this.ctx.conn.send(leave).catch(() => e.leavesInFlight--);
        }
      }
    }
    if (forget) {
      this.rooms.delete(jid);
      this.pinger.forget(jid);
      await this.write(() => this.ctx.stores.rooms.remove(this.ctx.accountId, jid));
      this.ctx.emit('roomRemoved', { jid });
      if (e?.bookmarked && this.bookmarks) await this.bookmarks.remove(jid).catch((err: unknown) => this.ctx.log.warn({ err }, 'bookmark not removed'));
    } else if (e) {
      this.persist(e);
      this.emitRoom(e);
    }
  }

  setBookmark(room: string, b: { bookmarked: boolean; autojoin: boolean; name?: string | null }): void {
    let e = this.rooms.get(room.toLowerCase());
    if (!e) {
      // A bookmark of a room not joined here (from another client, without autojoin): listed, not joined.
      const jid = roomAddress(room);
      if (!b.bookmarked || !jid || this.rooms.size >= MAX_ROOMS) return;
      e = this.newEntry(jid, null);
      e.known = true;
      e.nick = this.ctx.jid.split('@')[0]!;
      this.rooms.set(jid, e);
    }
    e.bookmarked = b.bookmarked;
    e.autojoin = b.autojoin;
    if (b.name !== undefined && b.name !== null) e.name = b.name.slice(0, 256);
    this.persist(e);
    this.emitRoom(e);
  }

  // ------------------------------------------------------------------------------------------------ nick, subject, occupants

  async changeNick(room: string, nick: string): Promise<RoomDTO> {
    const e = this.joined(room);
    if (!validNick(nick)) throw new CommandError('That nickname cannot be used.');
    if (nick === e.nick) return this.toDTO(e);
    if (e.nickChange) throw new CommandError('A nickname change is under way.');
    const el = buildNickChange(e.jid, nick);
    if (!el) throw new CommandError('That nickname cannot be used.');
    const p = this.newPending(nick);
    e.nickChange = p;
    p.timer = setTimeout(() => this.failNickChange(e, { reason: 'timeout', text: 'The room did not answer.', suggestion: null }), this.timing.joinTimeoutMs);
    p.timer.unref();
    await this.ctx.conn.send(el);
    return p.promise;
  }

  async setSubject(room: string, subject: string): Promise<void> {
    const e = this.joined(room);
    const el = buildSubjectChange(e.jid, subject);
    if (!el) throw new CommandError('That subject cannot be sent.');
    // The room answers with the subject message (kept by the router below) or an error (not allowed).
    await this.ctx.conn.send(el);
  }

  occupants(room: string): OccupantDTO[] {
    const e = this.rooms.get(room.toLowerCase());
    if (!e) throw new CommandError('Not a room of yours.');
    return e.occupants.list().map((o) => this.occupantDTO(o));
  }

  // ------------------------------------------------------------------------------------------------ discovery

  /** MUC services of the account's server (disco#items of the domain; each item's disco#info). */
  async services(): Promise<string[]> {
    const domain = this.ctx.jid.split('@')[1]!;
    const items = parseDiscoItems(await this.ctx.conn.iq(buildDiscoItemsGet(domain), this.timing.discoTimeoutMs), MAX_SERVICES);
    if (!items) return [];
    const found = await Promise.all(
      items.items.map(async (item) => {
        try {
          const info = parseDiscoInfo(await this.ctx.conn.iq(buildDiscoInfoGet(item.jid), this.timing.discoTimeoutMs));
          return info && isMucService(info) ? item.jid.toLowerCase() : null;
        } catch {
          return null;
        }
      }),
    );
    return [...new Set(found.filter((s): s is string => s !== null))];
  }

  /** Public rooms of a service, filtered by name or address (case-insensitive), sorted by address, paged after `after`. */
  async browse(service: string | undefined, filter: string, after: string | undefined): Promise<{ service: string; rooms: RoomListingDTO[]; next: string | null }> {
    const svc = service ? parseJid(service)?.bare : (await this.services())[0];
    if (!svc) throw new CommandError(service ? 'That is not a service address.' : 'Your server offers no group chat service.');
    let iq: Element;
    try {
      iq = await this.ctx.conn.iq(buildDiscoItemsGet(svc), this.timing.discoTimeoutMs);
    } catch (err) {
      throw new CommandError(err instanceof XmppStanzaError ? `The service refused: ${err.condition}` : 'The service did not answer.');
    }
    const items = parseDiscoItems(iq, MAX_BROWSE_ITEMS);
    if (!items) throw new CommandError('The service sent no room list.');
    const needle = filter.trim().toLowerCase();
    const rooms = items.items
      .flatMap((i) => {
        const jid = roomAddress(i.jid);
        return jid ? [{ jid, name: i.name }] : [];
      })
      .filter((r) => !needle || r.jid.includes(needle) || (r.name ?? '').toLowerCase().includes(needle))
      .sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0))
      .filter((r) => after === undefined || r.jid > after.toLowerCase());
    const page = rooms.slice(0, BROWSE_PAGE).map((r) => ({ jid: r.jid, name: r.name, occupants: null }));
    return { service: svc, rooms: page, next: rooms.length > BROWSE_PAGE ? page[page.length - 1]!.jid : null };
  }

  /** A room's disco#info for the join dialog. */
  async info(room: string): Promise<{ jid: string; name: string | null; description: string | null; occupants: number | null; features: RoomFeaturesDTO; omemo: RoomDTO['omemo'] }> {
    const jid = roomAddress(room);
    if (!jid) throw new CommandError('That is not a room address.');
    let iq: Element;
    try {
      iq = await this.ctx.conn.iq(buildDiscoInfoGet(jid), this.timing.discoTimeoutMs);
    } catch (err) {
      if (err instanceof XmppStanzaError && err.condition === 'item-not-found') throw new CommandError('There is no such room.');
      throw new CommandError('The room did not answer.');
    }
    const info = parseRoomInfo(iq);
    if (!info) throw new CommandError('That address is not a room.');
    const features = featuresOf(info);
    return { jid, name: info.name, description: info.description, occupants: info.occupants, features, omemo: omemoOf(features) };
  }

  // ------------------------------------------------------------------------------------------------ lifecycle

  /** Session start (also after a Parley restart): the stored rooms, shown at once; the wanted ones joined by rejoinAll(). */
  async loadStored(): Promise<void> {
    for (const row of await this.ctx.stores.rooms.list(this.ctx.accountId)) {
      if (this.rooms.has(row.jid) || this.rooms.size >= MAX_ROOMS) continue;
      const e = this.newEntry(row.jid, row);
      this.rooms.set(row.jid, e);
    }
  }

  /** A fresh XMPP session (not a resumed one): every room we want is joined again, occupants from scratch. */
  rejoinAll(): void {
    for (const e of this.rooms.values()) {
      // A new XMPP session: answers to leaves of the old one will not come.
      e.leavesInFlight = 0;
      if (!e.wanted || this.closed) continue;
      void this.attempt(e, e.nick, true).catch(() => undefined);
    }
  }

  /** The stream was resumed (XEP-0198): rooms kept us, unless they dropped us meanwhile: ask each. */
  resumed(): void {
    this.pinger.pingAll();
  }

  /** Our presence changed: each room we are in hears it (directed presence, XEP-0045 §7.7), with our caps. */
  presenceChanged(): void {
    for (const e of this.rooms.values()) {
      if (e.state !== 'joined') continue;
      void this.ctx.conn.send(xml('presence', { to: `${e.jid}/${e.nick}` }, ...this.presenceExtras(), capsElement())).catch(() => undefined);
    }
  }

  /** The store's unread counts of room conversations (from the hello's conversation list), and unread mentions. */
  setUnread(counts: Map<string, number>, mentions: Map<string, number> = new Map()): void {
    this.unread = counts;
    this.mentionCounts = mentions;
  }

  close(): void {
    this.closed = true;
    this.pinger.stop();
    for (const e of this.rooms.values()) {
      e.coalescer.reset();
      if (e.pending?.timer) clearTimeout(e.pending.timer);
      if (e.nickChange?.timer) clearTimeout(e.nickChange.timer);
      if (e.retry) clearTimeout(e.retry);
      if (e.roomTimer) clearTimeout(e.roomTimer);
      if (e.persistTimer) clearTimeout(e.persistTimer);
    }
  }

  // ------------------------------------------------------------------------------------------------ routing

  /**
   * A presence: true when it was a room's (ours to handle or drop), false when it is for the roster.
   * A presence with a muc#user element from a room we do not know is a room's too: dropped, never a contact's.
   */
  receivePresence(el: Element): boolean {
    const from = parseJid(el.attrs.from);
    if (!from || !from.local) return false;
    const e = this.rooms.get(from.bare);
    // Ending: our leave presences come back while the session goes; the rooms stay wanted for the next start.
    if (this.closed) return !!e || !!el.getChild('x', NS_MUC_USER);
    if (!e) {
      if (el.getChild('x', NS_MUC_USER)) {
        this.ctx.log.debug({ from: from.bare }, 'presence from a room we are not in dropped');
        return true;
      }
      return false;
    }
    const p = parseOccupantPresence(el);
    if (!p) {
      this.ctx.log.debug({ room: e.jid }, 'room presence without muc#user (or malformed) dropped');
      return true;
    }
    if (p.kind === 'error') {
      this.onPresenceError(e, p);
      return true;
    }
    if (e.state === 'left') return true;
    this.pinger.heard(e.jid);
    this.onOccupant(e, p);
    return true;
  }

  /**
   * A type='groupchat' message: the subject kept here, the message handed to the messages port. From an unknown
   * room, a room we left, or a live message from a nick that is not an occupant: dropped.
   */
  async receiveGroupchat(el: Element, receivedAt: Date): Promise<void> {
    const from = parseJid(el.attrs.from);
    const e = from?.local ? this.rooms.get(from.bare) : undefined;
    if (!from || !e || e.state === 'left') {
      this.ctx.log.debug({ from: from?.bare ?? null }, 'groupchat from a room we are not in dropped');
      return;
    }
    const msg = parseGroupchat(el, receivedAt);
    const nick = from.resource;
    const subjectOnly = !!msg && msg.subject !== null && msg.body === null;
    // Discussion history (delayed by the room) may come from people who have left since; live messages may not.
    // The subject comes from the room (on join, in the name of whoever set it, maybe long gone): always kept.
    if (nick && nick !== e.nick && !e.occupants.has(nick) && !msg?.delay && !subjectOnly) {
      this.ctx.log.debug({ room: e.jid }, 'groupchat from a non-occupant dropped');
      return;
    }
    this.pinger.heard(e.jid);
    // §10.2.1: the room's configuration changed (104), or its logging/anonymity (172–174).
    if (!nick && configurationChanged(el)) void this.refresh(e.jid);
    if (subjectOnly) {
      e.subject = msg!.subject || null;
      e.subjectBy = nick || null;
      this.persist(e, true);
      this.emitRoom(e);
    }
    await this.messages?.receive(el, receivedAt);
  }

  /**
   * A MUC-PM (from room/nick, or for a sent carbon: to room/nick) of a room we know, or marked with muc#user: true
   * when it was one (handed to the messages port, or dropped without it), never a direct chat.
   */
  async receivePrivate(el: Element, receivedAt: Date, sentCarbon: boolean): Promise<boolean> {
    const pm = sentCarbon ? this.pmTo(el) : mucPmOf(el, (bare) => this.isRoom(bare)) !== null || this.markedPm(el);
    if (!pm) return false;
    if (this.messages) await this.messages.receive(el, receivedAt);
    else this.ctx.log.debug('private room message dropped (no room messages part)');
    return true;
  }

  /** A MAM result from a known room's bare JID (its archive answering us): true when taken (never the account's archive). */
  claimArchiveResult(el: Element): boolean {
    if (!el.getChild('result', NS.mam)) return false;
    const from = parseJid(el.attrs.from);
    if (!from || !from.local || from.resource || !this.isRoom(from.bare)) return false;
    if (this.archiveResult) this.archiveResult(el);
    else this.ctx.log.debug({ room: from.bare }, 'room archive result dropped (no room history part)');
    return true;
  }

  /** A message from a known room's bare JID that is not groupchat (e.g. its notices): not a contact's either. */
  fromRoomItself(el: Element): boolean {
    const from = parseJid(el.attrs.from);
    return !!from && !from.resource && !!from.local && this.isRoom(from.bare);
  }

  private pmTo(el: Element): boolean {
    const to = parseJid(el.attrs.to);
    return !!to && !!to.local && !!to.resource && (this.isRoom(to.bare) || !!el.getChild('x', NS_MUC_USER));
  }

  /** From a full JID with an empty muc#user element (no invite/decline): a room's private message, room unknown. */
  private markedPm(el: Element): boolean {
    const from = parseJid(el.attrs.from);
    const x = el.getChild('x', NS_MUC_USER);
    return !!from && !!from.resource && !!x && !x.getChild('invite') && !x.getChild('decline');
  }

  // ------------------------------------------------------------------------------------------------ joining

  /**
   * One join of `e` as `nick`: the room's disco#info, then the join presence with the history the messages part
   * asks for. Settles on our self-presence (110), an error presence, or the timeout. A join already under way (a
   * rejoin after a new session) is sent again and keeps its promise.
   */
  private attempt(e: Entry, nick: string, rejoin: boolean): Promise<RoomDTO> {
    const p = e.pending ?? (e.pending = this.newPending(nick));
    p.nick = nick;
    p.rejoin = p.rejoin || rejoin;
    if (e.retry) clearTimeout(e.retry);
    e.retry = null;
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      if (e.pending !== p) return;
      // Offline: the join waits for the next session (rejoinAll sends it again), it is not the room's silence.
      if (this.ctx.conn.state !== 'online') return;
      const leave = buildLeave(e.jid, p.nick);
      if (leave) void this.ctx.conn.send(leave).catch(() => undefined);
      this.fail(e, { reason: 'timeout', text: 'The room did not answer.', suggestion: null });
    }, this.timing.joinTimeoutMs);
    p.timer.unref();
    e.state = rejoin || e.state === 'rejoining' ? 'rejoining' : 'joining';
    e.error = null;
    e.occupants.clear();
    e.coalescer.reset();
    this.emitRoom(e);
    void this.sendJoin(e, p).catch((err: unknown) => {
      if (e.pending !== p) return;
      this.ctx.log.warn({ err, room: e.jid }, 'join not sent');
      this.fail(e, { reason: 'other', text: 'The join could not be sent.', suggestion: null });
    });
    return p.promise;
  }

  /**
   * The room's configuration changed (we configured it, or it said so: status 104, 172–174): its disco#info is read
   * again, so the features (members-only, non-anonymous: whether OMEMO is possible) and the name stay true.
   */
  async refresh(room: string): Promise<RoomDTO | undefined> {
    const e = this.rooms.get(room);
    if (!e) return undefined;
    try {
      const info = parseRoomInfo(await this.ctx.conn.iq(buildDiscoInfoGet(e.jid), this.timing.discoTimeoutMs));
      if (info) {
        e.features = featuresOf(info);
        if (info.name) e.name = info.name;
        e.description = info.description;
        this.persist(e);
        this.emitRoom(e);
      }
    } catch (err) {
      this.ctx.log.debug({ room: e.jid, condition: err instanceof XmppStanzaError ? err.condition : null }, 'room disco#info failed');
    }
    return this.dto(room);
  }

  private async sendJoin(e: Entry, p: Pending): Promise<void> {
    try {
      const answer = await this.ctx.conn.iq(buildDiscoInfoGet(e.jid), this.timing.discoTimeoutMs);
      const info = parseRoomInfo(answer);
      if (info) {
        e.features = featuresOf(info);
        if (info.name) e.name = info.name;
        e.description = info.description;
      } else if (e.pending === p && !e.known) {
        // It answers, and is no room (a contact's address, a server): never sent a join, never taken for a room.
        return this.fail(e, { reason: 'room-not-found', text: 'That address is not a group chat.', suggestion: null });
      }
    } catch (err) {
      // item-not-found: the room does not exist yet and the join creates it; no answer: the join decides.
      this.ctx.log.debug({ room: e.jid, condition: err instanceof XmppStanzaError ? err.condition : null }, 'room disco#info failed');
    }
    if (e.pending !== p) return;
    let history: JoinHistory = { kind: 'none' };
    if (this.messages) {
      try {
        history = await this.messages.joinHistory(e.jid, e.features);
      } catch (err) {
        this.ctx.log.warn({ err, room: e.jid }, 'join history not known: none asked');
      }
    }
    if (e.pending !== p) return;
    const el = buildJoin({ room: e.jid, nick: p.nick, password: e.password, history, extra: [...this.presenceExtras(), capsElement()] });
    if (!el) return this.fail(e, { reason: 'nickname-invalid', text: 'That nickname cannot be used.', suggestion: null });
    await this.ctx.conn.send(el);
  }

  private onPresenceError(e: Entry, p: MucPresenceError): void {
    if (e.nickChange && p.nick === e.nickChange.nick) {
      const suggestion = p.reason === 'nickname-in-use' ? e.occupants.suggest(p.nick) : null;
      return this.failNickChange(e, { reason: p.reason, text: p.text, suggestion });
    }
    if (e.pending && (p.nick === e.pending.nick || p.nick === '')) {
      const suggestion = p.reason === 'nickname-in-use' ? e.occupants.suggest(e.pending.nick) : null;
      return this.fail(e, { reason: p.reason, text: p.text, suggestion });
    }
    this.ctx.log.debug({ room: e.jid, condition: p.condition }, 'room error presence ignored');
  }

  private onOccupant(e: Entry, p: OccupantPresence): void {
    const o = p.occupant;
    const self = p.self || (o.nick === e.nick && e.state === 'joined' && o.jid !== null && o.jid === this.ctx.conn.jid);
    if (self) return this.onSelf(e, p);
    const change = e.occupants.apply(o);
    // The list the room sends before our self-presence is who was there, not people joining (no timeline line).
    if (change.kind === 'present') e.coalescer.presentOccupant(this.occupantDTO(o), change.joined && !e.pending);
    else if (change.kind === 'gone') e.coalescer.goneOccupant(o.nick, p.leave !== 'nick-changed');
  }

  private onSelf(e: Entry, p: OccupantPresence): void {
    const o = p.occupant;
    if (o.available) {
      const change = e.occupants.apply(o);
      if (change.kind === 'present') e.coalescer.presentOccupant(this.occupantDTO(o), change.joined && !e.pending);
      const roleChanged = e.role !== o.role || e.affiliation !== o.affiliation;
      e.role = o.role;
      e.affiliation = o.affiliation;
      if (p.nonAnonymous) e.features = { ...e.features, nonAnonymous: true };
      if (e.pending) return this.succeed(e, o.nick, p.created);
      if (e.nickChange && o.nick === e.nickChange.nick) {
        const nc = e.nickChange;
        e.nickChange = null;
        if (nc.timer) clearTimeout(nc.timer);
        e.nick = o.nick;
        this.persist(e);
        this.emitRoom(e);
        return nc.resolve(this.toDTO(e));
      }
      if (o.nick !== e.nick) {
        // Another client of the account changed the shared nickname (303 first, then this presence).
        e.nick = o.nick;
        this.persist(e);
        return this.emitRoom(e);
      }
      if (roleChanged) this.emitRoom(e);
      return;
    }
    // Unavailable self-presence: a nick change (303, the new presence follows) or we are out of the room.
    e.occupants.apply(o);
    if (p.leave === 'nick-changed') {
      e.coalescer.goneOccupant(o.nick, false);
      return;
    }
    // The answer to a leave of ours (a plain unavailable self-presence): nothing to report, even when a join follows it.
    if (e.leavesInFlight > 0 && (p.leave === null || p.leave === 'left')) {
      e.leavesInFlight--;
      return;
    }
    const reason = p.leave ? LEAVE_ERRORS[p.leave] : undefined;
    const error: RoomErrorDTO = {
      reason: reason ?? 'other',
      text: p.destroy?.reason ?? p.reason ?? (reason ? null : 'The room removed us.'),
      suggestion: p.destroy?.alternate ?? null,
    };
    if (e.pending) return this.fail(e, error);
    // Kicked, banned, destroyed, shut down: out, told, not rejoined.
    e.wanted = false;
    this.setLeft(e, error);
    this.persist(e);
    this.emitRoom(e);
  }

  private succeed(e: Entry, nick: string, created: boolean): void {
    const p = e.pending!;
    e.pending = null;
    if (p.timer) clearTimeout(p.timer);
    e.nick = nick;
    e.state = 'joined';
    e.error = null;
    e.known = true;
    e.retries = 0;
    this.pinger.heard(e.jid);
    this.persist(e);
    this.emitRoom(e);
    p.resolve(this.toDTO(e));
    // A room we just created stays locked until configured (XEP-0045 §10.1.2): accept the defaults at once.
    if (created) {
      const instant = buildInstantRoom(e.jid);
      if (instant) void this.ctx.conn.iq(instant).catch((err: unknown) => this.ctx.log.warn({ err, room: e.jid }, 'instant room not configured'));
    }
    this.messages?.joined(e.jid, e.features);
  }

  private fail(e: Entry, error: RoomErrorDTO): void {
    const p = e.pending;
    const retry = !!p?.rejoin && e.known && e.wanted && PASSING.has(error.reason) && !this.closed;
    e.wanted = retry;
    this.setLeft(e, error);
    if (retry) {
      const delay = this.timing.rejoinRetryMs * 2 ** Math.min(e.retries++, 4);
      e.retry = setTimeout(() => {
        e.retry = null;
        if (e.wanted && e.state === 'left' && !this.closed) void this.attempt(e, e.nick, true).catch(() => undefined);
      }, delay);
      e.retry.unref();
    }
    if (e.known) this.persist(e);
    else {
      // Never joined: not kept (its address must not stay "a room", whose stanzas would be taken from a contact's path).
      if (this.rooms.get(e.jid) === e) this.rooms.delete(e.jid);
      void this.write(() => this.ctx.stores.rooms.remove(this.ctx.accountId, e.jid));
    }
    this.emitRoom(e);
    if (p) {
      const err = new RoomJoinError(error);
      err.room = this.toDTO(e);
      this.settle(e, err);
    }
  }

  private failNickChange(e: Entry, error: RoomErrorDTO): void {
    const nc = e.nickChange;
    if (!nc) return;
    e.nickChange = null;
    if (nc.timer) clearTimeout(nc.timer);
    nc.reject(new RoomJoinError(error));
  }

  /** Ends the pending join: rejected with `err`, or (null) with a plain "left". */
  private settle(e: Entry, err: RoomJoinError | null): void {
    const p = e.pending;
    if (!p) return;
    e.pending = null;
    if (p.timer) clearTimeout(p.timer);
    p.reject(err ?? new RoomJoinError({ reason: 'other', text: 'Left the room.', suggestion: null }));
  }

  private setLeft(e: Entry, error: RoomErrorDTO | null): void {
    if (e.retry && !e.wanted) {
      clearTimeout(e.retry);
      e.retry = null;
    }
    e.state = 'left';
    e.error = error;
    e.role = 'none';
    e.occupants.clear();
    e.coalescer.reset();
    this.pinger.forget(e.jid);
  }

  private async selfPing(room: string): Promise<void> {
    const e = this.rooms.get(room);
    if (!e || e.state !== 'joined') return;
    const ping = buildSelfPing(e.jid, e.nick);
    if (!ping) return;
    let answer: Element | null = null;
    try {
      answer = await this.ctx.conn.iq(ping, this.timing.joinTimeoutMs);
    } catch (err) {
      answer = err instanceof XmppStanzaError && err.stanza && err.stanza !== ping ? err.stanza : null;
    }
    const verdict = parseSelfPingAnswer(answer);
    if (verdict === 'not-joined' && e.state === 'joined' && e.wanted && !this.closed) {
      this.ctx.log.info({ room: e.jid }, 'self-ping: no longer in the room, rejoining');
      void this.attempt(e, e.nick, true).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private outcome(p: Promise<RoomDTO>, e: Entry, quiet: boolean | undefined): Promise<RoomDTO> {
    return quiet ? p.catch((err: unknown) => (err instanceof RoomJoinError && err.room) || this.toDTO(e)) : p;
  }

  private newPending(nick: string): Pending {
    let resolve!: (dto: RoomDTO) => void;
    let reject!: (err: RoomJoinError) => void;
    const promise = new Promise<RoomDTO>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be waiting (a rejoin): a refusal is on the room, not an unhandled rejection.
    promise.catch(() => undefined);
    return { nick, promise, resolve, reject, timer: null, rejoin: false };
  }

  private newEntry(jid: string, row: RoomRow | null): Entry {
    const occupants = new OccupantTable();
    const e: Entry = {
      jid,
      nick: row?.nick ?? '',
      name: row?.name ?? null,
      description: null,
      state: 'left',
      error: row?.lastError ?? null,
      subject: row?.subject ?? null,
      subjectBy: row?.subjectBy ?? null,
      role: 'none',
      affiliation: 'none',
      features: { ...NO_FEATURES },
      occupants,
      coalescer: new OccupantCoalescer(jid, () => occupants.count, (delta) => this.ctx.emit('occupants', delta), this.timing.coalesceMs),
      bookmarked: row?.bookmarked ?? false,
      autojoin: row?.autojoin ?? false,
      password: undefined,
      wanted: row?.joined ?? false,
      known: row !== null,
      pending: null,
      nickChange: null,
      retry: null,
      retries: 0,
      leavesInFlight: 0,
      roomTimer: null,
      lastRoomEmit: 0,
      lastEmittedState: null,
      persistQueued: false,
      persistTimer: null,
      lastPersist: 0,
    };
    return e;
  }

  private joined(room: string): Entry {
    const e = this.rooms.get(room.toLowerCase());
    if (!e || e.state !== 'joined') throw new CommandError('You are not in that room.');
    return e;
  }

  private presenceExtras(): Element[] {
    const own = this.deps.ownPresence?.();
    if (!own) return [];
    const out: Element[] = [];
    if (own.show !== 'available' && own.show !== 'unavailable') out.push(xml('show', {}, own.show));
    if (own.status) out.push(xml('status', {}, own.status.slice(0, 1024)));
    return out;
  }

  private async defaultNick(): Promise<string> {
    const nick = (await this.deps.nickname?.().catch(() => null))?.trim();
    return nick && validNick(nick) ? nick.slice(0, 256) : this.ctx.jid.split('@')[0]!;
  }

  private view(e: Entry): RoomView {
    return {
      jid: e.jid,
      nick: e.nick,
      state: e.state,
      features: e.features,
      occupant: (nick) => e.occupants.get(nick),
      realJids: () => e.occupants.realJids(),
    };
  }

  private toDTO(e: Entry): RoomDTO {
    return {
      jid: e.jid,
      name: e.name,
      description: e.description,
      nick: e.nick,
      state: e.state,
      error: e.error,
      subject: e.subject,
      subjectBy: e.subjectBy,
      role: e.role,
      affiliation: e.affiliation,
      features: e.features,
      omemo: omemoOf(e.features),
      occupantCount: e.occupants.count,
      bookmarked: e.bookmarked,
      autojoin: e.autojoin,
      unread: this.unread.get(e.jid) ?? 0,
      mentions: this.mentionCounts.get(e.jid) ?? 0,
    };
  }

  private occupantDTO(o: Occupant): OccupantDTO {
    const bare = o.jid ? (parseJid(o.jid)?.bare ?? null) : null;
    return {
      nick: o.nick,
      role: o.role,
      affiliation: o.affiliation,
      jid: bare,
      show: o.show,
      status: o.status,
      occupantId: o.occupantId,
      avatar: bare ? (this.deps.avatarOf?.(bare) ?? null) : null,
    };
  }

  /**
   * Tells the tabs the room's newest state: at once, unless the room changed less than a window ago (a room flooding
   * subject changes or role flips), then once at the window's end with the state as it is by then.
   */
  private emitRoom(e: Entry): void {
    if (this.closed) return;
    const send = () => {
      if (e.roomTimer) clearTimeout(e.roomTimer);
      e.roomTimer = null;
      e.lastRoomEmit = Date.now();
      e.lastEmittedState = e.state;
      if (!this.closed) this.ctx.emit('room', { room: this.toDTO(e) });
    };
    // A new state (joined, left...) goes out at once: only what we did, or a kick, changes it, never a flood.
    if (e.state !== e.lastEmittedState) return send();
    if (e.roomTimer) return;
    const wait = e.lastRoomEmit + this.timing.coalesceMs - Date.now();
    if (wait <= 0) return send();
    e.roomTimer = setTimeout(send, wait);
    e.roomTimer.unref();
  }

  /** Stores the room's row (in order, one write at a time; a failure is logged, the room goes on). */
  /**
   * Stores the room. `soon`: a change the room made (its subject), stored at most once a second per room, so a room
   * flooding them costs a few writes; our own changes (joined, left, nick) are queued at once.
   */
  private persist(e: Entry, soon = false): void {
    if (!e.nick || this.closed) return;
    if (soon) {
      if (e.persistTimer) return;
      const wait = e.lastPersist + PERSIST_EVERY_MS - Date.now();
      if (wait > 0) {
        e.persistTimer = setTimeout(() => {
          e.persistTimer = null;
          this.persist(e);
        }, wait);
        e.persistTimer.unref();
        return;
      }
    }
    e.lastPersist = Date.now();
    if (e.persistQueued) return;
    // One queued write per room, which stores the room as it is when it runs: a flood of changes is a few writes.
    e.persistQueued = true;
    void this.write(async () => {
      e.persistQueued = false;
      if (this.rooms.get(e.jid) !== e) return;
      await this.ctx.stores.rooms.save(this.ctx.accountId, this.rowOf(e));
    });
  }

  private rowOf(e: Entry): RoomRow {
    return {
      jid: e.jid,
      nick: e.nick,
      name: e.name,
      subject: e.subject,
      subjectBy: e.subjectBy,
      joined: e.wanted,
      bookmarked: e.bookmarked,
      autojoin: e.autojoin,
      lastError: e.error,
    };
  }

  private write(fn: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(fn).catch((err: unknown) => this.ctx.log.warn({ err }, 'room not stored'));
    return this.writes;
  }

  /** Resolves when every room write so far is done (tests). */
  flushWrites(): Promise<void> {
    return this.writes;
  }
}

const CONFIGURATION_CODES = new Set(['104', '170', '171', '172', '173', '174']);

function configurationChanged(el: Element): boolean {
  const x = el.getChild('x', NS_MUC_USER);
  return !!x && x.getChildren('status').some((st) => CONFIGURATION_CODES.has(String(st.attrs.code)));
}
