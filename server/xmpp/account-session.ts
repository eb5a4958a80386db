/**
 * One live XMPP session of one account, shared by every tab of that account.
 * Owns the connection and the features; counts attached tabs; goes away, then logs out, when none is left.
 */
import type { Element } from '@xmpp/xml';
import type { XmppConnection, ConnectionState } from './connection.js';
import type { SessionContext } from '../features/context.js';
import type { HelloEvent, ServerEvents } from '../realtime/contract.js';
import type { Stores } from '../features/context.js';
import type { Logger } from '../app/logger.js';
import type { EndReason } from './session-manager.js';
import { Roster } from '../features/roster.js';
import { PresenceTracker } from '../features/presence.js';
import { Messages, toMessageDTO } from '../features/messages.js';
import { Mutations } from '../features/mutations.js';
import { ChatStates } from '../features/chat-states.js';
import { ArchiveSync } from '../features/archive.js';
import { Reactions } from '../features/reactions.js';
import { NS_REACTIONS } from '../stanza/reactions.js';
import { InboundQueue, type Pipelined } from '../features/inbound-queue.js';
import { isPlainIncoming } from '../stanza/plain-message.js';
import { Omemo } from '../features/omemo.js';
import { Profiles } from '../features/profile.js';
import { HttpUpload } from '../features/upload.js';
import { registerDisco } from '../features/disco.js';
import { ClientState } from '../features/client-state.js';
import { OwnProfile } from '../features/own-profile.js';
import { Subscriptions } from '../features/subscriptions.js';
import { Blocking } from '../features/blocking.js';
import { Search } from '../features/search.js';
import { Avatars, type AvatarCache } from '../features/avatars.js';
import { NS_AVATAR_METADATA } from '../stanza/avatar.js';
import { parseEvent } from '../stanza/pubsub.js';
import { bareOf } from '../stanza/jid.js';
import { unwrapCarbon, buildEnableCarbons } from '../stanza/carbons.js';
import { parseMamResult } from '../stanza/mam.js';
import { parseAcknowledgement } from '../stanza/receipts.js';
import { RoomRegistry } from '../features/rooms/registry.js';
import { RoomHistory } from '../features/rooms/history.js';
import { RoomsAdministration } from '../features/rooms/administration.js';

/** How long ending a session waits for received stanzas to be stored (the database may be down). */
const END_DRAIN_MS = 5000;
/** Plain chat messages of one account whose stores may be in flight together (they join the same group commits). */
const PIPELINED_STORES = 64;

export interface Broadcaster {
  toAccount<E extends keyof ServerEvents>(accountId: string, event: E, ...payload: Parameters<ServerEvents[E]>): void;
  /** Closes every socket of the account (after logout). */
  disconnectAccount(accountId: string): void;
  /** Closes the sockets of one browser session (by its row id, SHA-256 of the session id); after "sign out that browser". */
  disconnectBrowser?(browserId: string, reason: string): void;
}

export interface SessionTimers {
  /** Presence turns 'away' this long after the last tab left (Movim: 10 s). */
  awayAfterMs: number;
  /** The session logs out this long after the last tab left (Movim: 24 h). */
  idleLogoutMs: number;
}

export interface SyncSettings {
  /** How far back the first login fetches history from the archive. */
  backfillDays: number;
  /** Parley OMEMO devices unseen this long are dropped from the account's device list. */
  omemoStaleDays: number;
}

export interface AccountSessionDeps {
  accountId: string;
  jid: string;
  conn: XmppConnection;
  stores: Stores;
  log: Logger;
  broadcaster: Broadcaster;
  timers: SessionTimers;
  sync: SyncSettings;
  /** Waiting inbound stanzas past which the connection stops reading (default 1000). */
  inboundQueueLimit?: number;
  /** The process's avatar cache (on disk, by hash); without one, avatars are ignored. */
  avatars?: AvatarCache;
  /** Called once the session has ended, whatever ended it. */
  onEnded: (session: AccountSession, reason: EndReason) => void;
  /** No tab for the idle time: the manager logs the account out. */
  onIdle: (session: AccountSession) => void;
}

export class AccountSession {
  readonly accountId: string;
  readonly jid: string;
  readonly conn: XmppConnection;
  readonly since = new Date();
  readonly roster: Roster;
  readonly presence: PresenceTracker;
  readonly messages: Messages;
  readonly mutations: Mutations;
  readonly chatStates: ChatStates;
  readonly archive: ArchiveSync;
  readonly reactions: Reactions;
  readonly omemo: Omemo;
  readonly profiles: Profiles;
  readonly upload: HttpUpload;
  readonly clientState: ClientState;
  readonly ownProfile: OwnProfile;
  readonly subscriptions: Subscriptions;
  readonly blocking: Blocking;
  readonly avatars: Avatars;
  readonly search: Search;
  /** Group chats: our presence in rooms, their occupants; room messages, bookmarks, invitations plug into its ports. */
  readonly rooms: RoomRegistry;
  /** Room messages, MUC-PMs and the rooms' archives (the registry's messages port). */
  readonly roomHistory: RoomHistory;
  /** Bookmarks, invitations and room administration (features/rooms/administration.ts), over the registry. */
  readonly roomsAdmin: RoomsAdministration;
  private readonly inbound: InboundQueue<{ el: Element; receivedAt: Date }>;
  private readonly tabs = new Set<string>();
  private awayTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private ended = false;
  /** Resolves when the archive catch-up of the current XMPP session is done (tests, benchmarks). */
  synced: Promise<void> = Promise.resolve();
  private readonly ctx: SessionContext;

  constructor(private readonly deps: AccountSessionDeps) {
    this.accountId = deps.accountId;
    this.jid = deps.jid;
    this.conn = deps.conn;
    const log = deps.log.child({ account: deps.jid });
    this.ctx = {
      accountId: deps.accountId,
      jid: deps.jid,
      conn: deps.conn,
      stores: deps.stores,
      log,
      emit: (event, ...payload) => deps.broadcaster.toAccount(deps.accountId, event, ...payload),
    };
    this.roster = new Roster(this.ctx);
    this.subscriptions = new Subscriptions(this.ctx, this.roster, () => this.ownProfile.nickname());
    this.presence = new PresenceTracker(this.ctx, (p) => this.subscriptions.handle(p));
    this.blocking = new Blocking(this.ctx);
    this.blocking.onBlocked((jid, by) => {
      this.presence.forget(jid);
      // Blocked by another client of the account: its request is moot here (that client answered it, or chose not to).
      if (by === 'push') this.subscriptions.forget(jid);
    });
    this.messages = new Messages(this.ctx);
    this.mutations = new Mutations(this.ctx);
    this.messages.withoutForgotten = (msgs) => this.mutations.withoutForgotten(msgs);
    this.chatStates = new ChatStates(this.ctx);
    this.search = new Search(this.ctx);
    this.avatars = new Avatars(this.ctx, deps.avatars ?? null, (hash) => this.presence.setPhoto(hash));
    this.rooms = new RoomRegistry(this.ctx, {
      nickname: () => this.ownProfile.nickname(),
      ownPresence: () => this.presence.own,
      avatarOf: (jid) => this.avatars.hashOf(jid),
    });
    this.presence.onOwnChange = () => this.rooms.presenceChanged();
    this.inbound = new InboundQueue(
      ({ el, receivedAt }) => this.handle(el, receivedAt),
      log,
      (degraded) => this.ctx.emit('degraded', { degraded }),
      {
        limit: deps.inboundQueueLimit ?? 1000,
        pause: (paused) => (paused ? this.conn.pauseReading('inbound-queue') : this.conn.resumeReading('inbound-queue')),
      },
      { take: ({ el, receivedAt }) => this.plainIncoming(el, receivedAt), maxInFlight: PIPELINED_STORES },
    );
    this.archive = new ArchiveSync(this.ctx, this.messages, deps.sync.backfillDays, (store) => this.inbound.exclusive(store));
    this.archive.mutations = this.mutations;
    this.reactions = new Reactions(this.ctx);
    this.archive.claim = (el, stamp) => (el.getChild('reactions', NS_REACTIONS) ? () => this.reactions.receive(el, stamp) : null);
    this.messages.olderFromArchive = (peer, before) => this.archive.older(peer, before);
    this.omemo = new Omemo(this.ctx, deps.sync.omemoStaleDays);
    this.profiles = new Profiles(this.ctx);
    this.ownProfile = new OwnProfile(this.ctx, this.profiles);
    this.upload = new HttpUpload(this.ctx, this.messages);
    this.clientState = new ClientState(this.ctx, (visible) => this.onVisibleChange(visible));
    // Group chats: the registry's ports are room messages (with their archive), bookmarks and invitations.
    const roomHistory = (this.roomHistory = new RoomHistory(this.ctx, this.rooms, this.messages));
    this.rooms.messages = roomHistory;
    // The registry claims results from its rooms' archives; the history checks they answer one of its queries.
    this.rooms.archiveResult = (el) => void roomHistory.claimArchiveResult(el);
    this.archive.roomPm = (el, stamp, id) => roomHistory.archivedPm(el, stamp, id);
    this.roomsAdmin = new RoomsAdministration(this.ctx, this.rooms, {
      isContact: (bare) => this.roster.has(bare),
      isBlocked: (bare) => this.blocking.isBlocked(bare),
      row: (id) => this.deps.stores.messages.byId(this.accountId, id),
    });
    this.rooms.bookmarks = this.roomsAdmin.bookmarks;
    this.rooms.invitations = this.roomsAdmin.invitations;
    registerDisco(this.ctx);
    this.conn.on('stanza', (el: Element) => this.route(el));
    this.conn.on('state', (state: ConnectionState, detail?: string) => {
      if (state !== 'online') this.messages.closeOutbox();
      this.ctx.emit('connection', { state, detail });
    });
    this.conn.on('online', ({ resumed }: { resumed: boolean }) => {
      if (resumed) this.rooms.resumed();
      const ready = resumed ? Promise.all([this.messages.flushOutbox(), this.clientState.resumed()]) : this.startXmppSession();
      void ready.catch((err: unknown) => log.error({ err }, 'session set-up after reconnect failed'));
    });
    this.conn.on('error', (err: unknown) => log.warn({ err }, 'xmpp connection error'));
    this.conn.on('oversized', (what: { name: string; type: string | null; from: string | null; reason: string }) => log.warn(what, 'oversized stanza dropped'));
    this.conn.on('fatal', (err: unknown) => {
      log.warn({ err }, 'xmpp connection gave up');
      // A server may end the stream of an account it just removed (ejabberd does): the removal says how it ended.
      if (this.removal) this.removal.fatal = true;
      else void this.end('connection-lost');
    });
  }

  /** Set while the removal of this account is asked (see whileRemoving). */
  private removal: { fatal: boolean } | null = null;

  /**
   * Runs the removal of this account (`remove` ends the session itself when it succeeded). A connection that gives
   * up meanwhile ends the session as lost only when `remove` did not end it.
   */
  async whileRemoving(remove: () => Promise<void>): Promise<void> {
    const removal = (this.removal = { fatal: false });
    try {
      await remove();
    } finally {
      this.removal = null;
      if (removal.fatal && !this.ended) void this.end('connection-lost');
    }
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  get tabCount(): number {
    return this.tabs.size;
  }

  /** First set-up after login: stored state for the tabs at once, then the server's truth. */
  async start(): Promise<void> {
    await this.roster.loadStored();
    await this.rooms.loadStored();
    await this.startXmppSession();
    this.scheduleIdle();
  }

  /**
   * Everything a fresh XMPP session (not a resumed one) needs, in this order: carbons before presence so no copy is
   * missed once we are available, the archive anchor before presence so the catch-up starts before anything stored
   * live. Resolves once we are available; the outbox and the archive catch-up then run in the background (`synced`),
   * so a login never waits for a long archive: each message reaches the tabs as it is stored.
   */
  private async startXmppSession(): Promise<void> {
    let anchor: Awaited<ReturnType<ArchiveSync['anchor']>> | undefined;
    try {
      anchor = await this.archive.anchor();
      await this.roster.sync();
      // Before our presence: the server then sends contacts' presences and pending requests, some maybe from blocked JIDs.
      await this.blocking.sync();
      this.subscriptions.reset();
      await this.conn.iq(buildEnableCarbons()).catch((err: unknown) => this.ctx.log.warn({ err }, 'carbons not available'));
      await this.presence.startSession();
      // After our presence (the rooms see us available); each room's join settles on its own.
      this.rooms.rejoinAll();
      await this.clientState.startStream();
      // Bookmarks fetched and autojoin rooms joined once we are available (in the background).
      void this.roomsAdmin.bookmarks.start().catch((err: unknown) => this.ctx.log.warn({ err }, 'bookmarks could not be fetched'));
    } finally {
      // Whatever failed above (a dropped connection, the database), what is unsent must not wait for the next send.
      void this.messages.flushOutbox();
      if (anchor !== undefined) {
        this.synced = this.archive.catchUp(anchor).then(
          () => undefined,
          (err: unknown) => this.ctx.log.error({ err }, 'archive catch-up failed'),
        );
      }
    }
  }

  /** The features' context (the rooms feature is built with it; its tests drive RoomHistory through it). */
  get context(): SessionContext {
    return this.ctx;
  }

  /** Sorts out what needs no database synchronously (MAM results keep their order), queues the rest. */
  private route(el: Element): void {
    if (el.name === 'message') {
      // A room's archive answering a query addressed to it: the rooms' history, not ours (and no forgery).
      if (this.rooms.claimArchiveResult(el)) return;
      const mam = parseMamResult(el, this.jid);
      if (mam.kind === 'result') return this.archive.onResult(mam);
      if (mam.kind === 'forged') return this.ctx.log.warn({ from: mam.from }, 'forged archive result dropped');
    }
    if (this.fromBlocked(el)) return;
    // The arrival time is the message's time when it carries no delay stamp, however long it waits in the queue.
    this.inbound.push({ el, receivedAt: new Date() });
  }

  /**
   * Messages, presences and subscription requests from a blocked JID are dropped here, never stored or shown: the server
   * should already have dropped them, but its list can be stale for a moment and some servers do not implement XEP-0191.
   * Errors (a bounce of our own message) and iqs pass; so do our own stanzas.
   */
  private fromBlocked(el: Element): boolean {
    if (el.name !== 'message' && el.name !== 'presence') return false;
    if (el.attrs.type === 'error') return false;
    const from = bareOf(el.attrs.from);
    if (!from || from === this.jid || !this.blocking.isBlocked(from)) return false;
    this.ctx.log.debug({ kind: el.name }, 'stanza from a blocked JID dropped');
    return true;
  }

  /** Blocks an address; a request of theirs to see our presence is denied, and their presence forgotten. */
  async block(jid: string): Promise<void> {
    // Denied first: once blocked, the server lets nothing of ours reach them (XEP-0191 §3.3), the denial included.
    const bare = bareOf(jid);
    if (bare && bare !== this.jid && this.blocking.supported && this.subscriptions.has(bare)) await this.subscriptions.deny(bare).catch(() => undefined);
    await this.blocking.block(jid);
  }

  /**
   * A plain chat message from a contact (stanza/plain-message.ts) is stored beside the ones before it; the same steps
   * as `handle` takes for it, with what reaches the tabs run in arrival order.
   */
  private plainIncoming(el: Element, receivedAt: Date): Pipelined | null {
    if (!isPlainIncoming(el, this.jid) || this.rooms.isRoom(bareOf(el.attrs.from)!)) return null;
    return {
      store: async () => {
        const told = await this.messages.storeReceived(el, true, receivedAt);
        return () => {
          this.chatStates.onMessage(el);
          told();
        };
      },
    };
  }

  private async handle(el: Element, receivedAt: Date): Promise<void> {
    if (el.name === 'presence') {
      // A room's presence (occupants, our own in it) never reaches the roster's presence tracker.
      if (this.rooms.receivePresence(el)) return;
      // Fetching a vCard can take seconds: not in the line of stanzas that must be stored in order.
      void this.avatars.onPresence(el);
      return this.presence.handle(el);
    }
    if (el.name !== 'message') return;
    if (el.attrs.type === 'error') return this.messages.bounced(el);
    const carbon = unwrapCarbon(el, this.jid);
    if (carbon.kind === 'forged') return this.ctx.log.warn({ from: carbon.from }, 'forged carbon dropped');
    const message = carbon.kind === 'carbon' ? carbon.message : el;
    // A carbon of what a blocked JID sent to another client of ours (that client's server let it through).
    if (carbon.kind === 'carbon' && this.fromBlocked(message)) return;
    // Invitations (direct and mediated) and declines, carbons of them too: never stored as messages.
    if (this.roomsAdmin.invitations.receive(message, receivedAt)) return;
    // Rooms before anything of direct chats: a groupchat, a room's notice or a MUC-PM is never a contact's message.
    if (message.attrs.type === 'groupchat') return carbon.kind === 'none' ? this.rooms.receiveGroupchat(message, receivedAt) : undefined;
    if (carbon.kind === 'none' && this.rooms.fromRoomItself(message)) return this.ctx.log.debug('message from a room (not groupchat) dropped');
    if (await this.rooms.receivePrivate(message, receivedAt, carbon.kind === 'carbon' && carbon.direction === 'sent')) return;
    const event = carbon.kind === 'none' ? parseEvent(el) : null;
    if (event) {
      const from = bareOf(el.attrs.from);
      if (!from) return;
      if (this.roomsAdmin.onEvent(from, event, el)) return; // the bookmarks node
      if (event.node === NS_AVATAR_METADATA) {
        void this.avatars.onMetadata(from, event.items);
        return;
      }
      this.omemo.onEvent(from, event);
      return;
    }
    const ack = parseAcknowledgement(message);
    if (ack) await this.messages.acknowledge(String(message.attrs.from ?? this.jid), String(message.attrs.to ?? this.jid), ack);
    this.chatStates.onMessage(message);
    if (await this.mutations.receive(message, receivedAt, carbon.kind === 'none')) return;
    if (await this.reactions.receive(message, receivedAt)) return;
    await this.messages.receive(message, carbon.kind === 'none', receivedAt);
  }

  /** Received stanzas waiting to be handled (bounded: past the limit the connection stops reading). */
  get inboundWaiting(): number {
    return this.inbound.size;
  }

  /** Resolves when every stanza received so far is stored (tests, shutdown). */
  drainInbound(): Promise<void> {
    return this.inbound.drain();
  }

  async snapshot(): Promise<HelloEvent> {
    const conversations = await this.deps.stores.messages.conversations(this.accountId, 200);
    const roomJids = await this.deps.stores.rooms.jids(this.accountId);
    for (const r of this.rooms.list()) roomJids.add(r.jid);
    const roomUnread = conversations.filter((c) => roomJids.has(c.last.peer) && c.unread > 0);
    const mentions = await Promise.all(roomUnread.map(async (c) => [c.last.peer, await this.roomHistory.mentions(c.last.peer)] as const));
    this.rooms.setUnread(new Map(roomUnread.map((c) => [c.last.peer, c.unread])), new Map(mentions));
    return {
      account: this.jid,
      resource: this.conn.jid ?? null,
      connection: this.conn.state,
      contacts: this.roster.list(),
      presences: this.presence.all(),
      // A room's bare JID (known to the registry or the Room table) is a room; an occupant's full JID is a MUC-PM.
      conversations: conversations.map((c) => ({
        peer: c.last.peer,
        kind: c.last.peer.includes('/') ? 'pm' : roomJids.has(c.last.peer) ? 'room' : 'chat',
        last: toMessageDTO(c.last),
        unread: c.unread,
      })),
      own: this.presence.own,
      subscriptions: this.subscriptions.snapshot(),
      avatars: this.avatars.snapshot(),
      rooms: this.rooms.all(),
      invitations: this.roomsAdmin.invitations.list(),
    };
  }

  attachTab(tabId: string, visible = true): void {
    if (this.ended) return;
    this.tabs.add(tabId);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.clientState.attach(tabId, visible);
  }

  detachTab(tabId: string): void {
    if (!this.tabs.delete(tabId) || this.ended) return;
    this.clientState.detach(tabId);
    if (this.tabs.size === 0) this.scheduleIdle();
  }

  /** A tab's page became visible or hidden (document.visibilityState). */
  setTabVisible(tabId: string, visible: boolean): void {
    if (!this.ended) this.clientState.setVisible(tabId, visible);
  }

  /** Someone looks again: back to the chosen presence. Nobody looks: away after a while (Movim: 10 s). */
  private onVisibleChange(visible: boolean): void {
    if (this.awayTimer) clearTimeout(this.awayTimer);
    this.awayTimer = null;
    if (visible) {
      void this.presence.autoAway(false).catch(() => undefined);
    } else if (!this.ended) {
      this.awayTimer = setTimeout(() => void this.presence.autoAway(true).catch(() => undefined), this.deps.timers.awayAfterMs);
      this.awayTimer.unref();
    }
  }

  /** No tab at all: log out after the idle time. (Away follows visibility, which a closed tab also ends.) */
  private scheduleIdle(): void {
    if (this.tabs.size > 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.deps.onIdle(this), this.deps.timers.idleLogoutMs);
    this.idleTimer.unref();
    // Right after login no tab has attached yet: nobody is looking either.
    if (!this.clientState.anyVisible && !this.awayTimer) this.onVisibleChange(false);
  }

  private clearTimers(): void {
    if (this.awayTimer) clearTimeout(this.awayTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.awayTimer = this.idleTimer = null;
  }

  /**
   * Ends the XMPP session. Safe to call more than once. On 'shutdown' the tabs are only told the server is going
   * away (they reconnect to the next start); on every other reason they are sent to the login page.
   */
  async end(reason: EndReason): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.clearTimers();
    this.subscriptions.close();
    this.chatStates.stop();
    this.rooms.close();
    if (reason === 'shutdown' || reason === 'fenced') {
      this.ctx.emit('connection', { state: 'offline', detail: 'server restarting' });
    } else {
      this.ctx.emit('logout', { reason });
      this.deps.broadcaster.disconnectAccount(this.accountId);
    }
    // The connection before the queue, so no stanza arrives after the queue has drained; then what arrived is stored.
    await this.conn.stop();
    if (!(await this.inbound.drainWithin(END_DRAIN_MS))) this.ctx.log.warn('session ended before every received stanza was stored');
    this.inbound.close();
    this.deps.onEnded(this, reason);
  }

  get isEnded(): boolean {
    return this.ended;
  }
}
