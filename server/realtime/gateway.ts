/**
 * socket.io gateway: one room per account. A socket is accepted only with a matching Origin and a
 * browser session that belongs to a live XMPP session; every command acts on that account only.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { RequestHandler } from 'express';
import type { Session, SessionData } from 'express-session';
import type { Logger } from '../app/logger.js';
import type { Broadcaster } from '../xmpp/account-session.js';
import type { SessionManager } from '../xmpp/session-manager.js';
import { CommandError } from '../features/messages.js';
import { commandSchemas, type ClientCommands, type ServerEvents, type Result, type CommandResults, type OmemoRelayDTO, type ParsedCommands, type HelloEvent } from './contract.js';
import type { AccountSession } from '../xmpp/account-session.js';
import { TokenBucket } from './rate-limit.js';
import { rosterCommands } from './commands/roster.js';
import { ownProfileCommands } from './commands/own-profile.js';
import { blockingCommands } from './commands/blocking.js';
import { avatarCommands } from './commands/avatar.js';
import { mutationCommands } from './commands/mutations.js';
import { reactionCommands } from './commands/reactions.js';
import { searchCommands } from './commands/search.js';
import { roomCommands } from './commands/rooms.js';
import { roomAdminCommands } from './commands/room-admin.js';
import { hashSid } from '../store/sessions.js';

declare module 'express-session' {
  interface SessionData {
    accountId?: string;
    jid?: string;
    /** the browser's user agent at login, bounded (shown shortened on /account) */
    userAgent?: string;
  }
}

type SessionRequest = IncomingMessage & { session?: Session & Partial<SessionData> };
type ParleySocket = Socket<ClientCommands, ServerEvents, Record<string, never>, { visible: boolean }>;

/** Registers one command of a socket: `run` gets the validated payload; what it throws as CommandError reaches the tab. */
export type Handle = <K extends keyof CommandResults>(name: K, run: (payload: ParsedCommands[K]) => Promise<CommandResults[K]>) => void;

/** One concern's commands (server/realtime/commands/*.ts), registered on every socket of a live account session. */
export type CommandGroup = (handle: Handle, session: AccountSession) => void;

/** Groups every socket gets, besides the core commands below. Each concern adds its own module here. */
const COMMAND_GROUPS: CommandGroup[] = [rosterCommands, ownProfileCommands, blockingCommands, avatarCommands, mutationCommands, reactionCommands, searchCommands, roomCommands, roomAdminCommands];

const room = (accountId: string) => `account:${accountId}`;
/** The sockets of one browser session, named by the session's row id (SHA-256 of its id, never the cookie). */
const browserRoom = (browserId: string) => `browser:${browserId}`;

/** The tab as its account's session sees it, wherever its socket is (this node or another). */
interface TabState {
  accountId: string;
  session: AccountSession;
  /** its commands, bound to the session and the tab */
  commands: Map<string, (payload: unknown) => Promise<unknown>>;
}

/**
 * How a tab reaches its account's session when another node owns it (server/cluster/forwarding.ts). Without one,
 * Parley is a single node and every session is local.
 */
export interface ClusterRouting {
  /** Whether another live node holds the account's lease. */
  ownedElsewhere(jid: string): Promise<boolean>;
  /** Whether another node holds the lease or held it until it stopped renewing (a takeover is due). */
  leasedElsewhere(jid: string): Promise<boolean>;
  /** The owner attaches the tab and answers its hello; null when no owner answered. */
  remoteHello(accountId: string, tabId: string, visible: boolean): Promise<HelloEvent | null>;
  /** The owner runs the command; null when no owner answered. */
  remoteCommand(accountId: string, tabId: string, name: string, payload: unknown): Promise<Result<unknown> | null>;
  remoteDetach(accountId: string, tabId: string): void;
  /** How long a tab waits for an owner that stopped answering to be replaced (lease TTL + takeover loop). */
  readonly takeoverWindowMs: number;
  /** Why a remote owner could not be reached, in words for the tab (Redis down, owner gone). */
  unavailableText(): string;
}

export interface GatewayDeps {
  httpServer: HttpServer;
  sessionMiddleware: RequestHandler;
  allowedOrigin: string;
  log: Logger;
  /** Commands per second and burst allowed per socket. */
  rate: { perSecond: number; burst: number };
}

export class Gateway implements Broadcaster {
  readonly io: Server<ClientCommands, ServerEvents>;
  private sessions: SessionManager | null = null;
  private cluster: ClusterRouting | null = null;
  /** Tabs attached to a session of this node, by socket id (their sockets may be on other nodes). */
  private readonly tabs = new Map<string, TabState>();

  constructor(private readonly deps: GatewayDeps) {
    this.io = new Server(deps.httpServer, {
      serveClient: false,
      maxHttpBufferSize: 512 * 1024,
      // Cross-site WebSocket hijacking: only pages of this instance may open a socket.
      allowRequest: (req, callback) => callback(null, req.headers.origin === deps.allowedOrigin),
    });
    this.io.engine.use(deps.sessionMiddleware);
    this.io.on('connection', (socket) => void this.onConnection(socket));
  }

  attach(sessions: SessionManager, cluster: ClusterRouting | null = null): void {
    this.sessions = sessions;
    this.cluster = cluster;
  }

  toAccount<E extends keyof ServerEvents>(accountId: string, event: E, ...payload: Parameters<ServerEvents[E]>): void {
    (this.io.to(room(accountId)).emit as (e: string, ...a: unknown[]) => boolean)(event, ...payload);
  }

  disconnectAccount(accountId: string): void {
    this.io.in(room(accountId)).disconnectSockets(true);
  }

  disconnectBrowser(browserId: string, reason: string): void {
    this.io.to(browserRoom(browserId)).emit('logout', { reason });
    this.io.in(browserRoom(browserId)).disconnectSockets(true);
  }

  /** The account's session ended on a node that died and cannot come back: every tab, on every node, goes to login. */
  endedElsewhere(accountId: string): void {
    this.io.to(room(accountId)).emit('logout', { reason: 'session-ended' });
    this.io.in(room(accountId)).disconnectSockets(true);
  }

  /** This node's sockets of the account reconnect (its session moved to another node): they find the new owner. */
  disconnectLocal(accountId: string): void {
    this.io.local.in(room(accountId)).disconnectSockets(true);
  }

  // ---------------------------------------------------------------- the owner's side: tabs of its sessions

  /** Attaches a tab (on this node or another) to this node's session of the account; its hello. Null: not ours. */
  async helloFor(accountId: string, tabId: string, visible: boolean): Promise<HelloEvent | null> {
    const session = this.sessions?.byAccountId(accountId);
    if (!session || session.isEnded) return null;
    if (this.tabs.get(tabId)?.session === session) session.setTabVisible(tabId, visible);
    else this.tabState(tabId, session, visible);
    return session.snapshot();
  }

  /** Runs a tab's command on this node's session of the account. Null: the session is not here. */
  async commandFor(accountId: string, tabId: string, name: string, payload: unknown): Promise<Result<unknown> | null> {
    const session = this.sessions?.byAccountId(accountId);
    if (!session || session.isEnded) return null;
    const tab = this.tabState(tabId, session);
    const run = tab.commands.get(name);
    if (!run) return { ok: false, error: `Unknown command ${name}.` };
    const parsed = (commandSchemas as Record<string, { safeParse: (p: unknown) => { success: boolean; data?: unknown; error?: { issues: { message: string }[] } } }>)[name]!.safeParse(payload);
    if (!parsed.success) return { ok: false, error: `Invalid ${name}: ${parsed.error!.issues.map((i) => i.message).join('; ')}` };
    try {
      return { ok: true, data: await run(parsed.data) };
    } catch (err) {
      if (!(err instanceof CommandError)) this.deps.log.error({ err, command: name, account: session.jid }, 'command failed');
      return { ok: false, error: err instanceof CommandError ? err.message : 'The server could not do that right now.' };
    }
  }

  detachFrom(accountId: string, tabId: string): void {
    const tab = this.tabs.get(tabId);
    if (tab?.accountId !== accountId) return;
    this.tabs.delete(tabId);
    tab.session.detachTab(tabId);
  }

  /**
   * Brings the session's view of its tabs in line with the sockets in its room on every node: a node that died took
   * its tabs with it, and tabs that were attached to a previous owner are attached here (with their last visibility).
   */
  async reconcileTabs(session: AccountSession): Promise<void> {
    const sockets = await this.io.in(room(session.accountId)).fetchSockets();
    if (session.isEnded) return;
    const present = new Set<string>();
    for (const s of sockets) {
      present.add(s.id);
      if (this.tabs.get(s.id)?.session === session) continue;
      this.tabState(s.id, session, (s.data as { visible?: boolean } | undefined)?.visible !== false);
    }
    for (const [id, tab] of this.tabs) if (tab.session === session && !present.has(id)) this.detachFrom(session.accountId, id);
  }

  /** A session just started here: tabs already in its room (attached to a previous owner) are attached and get a hello. */
  async adopt(session: AccountSession): Promise<void> {
    const known = new Set([...this.tabs].filter(([, t]) => t.session === session).map(([id]) => id));
    await this.reconcileTabs(session);
    const adopted = [...this.tabs].filter(([id, t]) => t.session === session && !known.has(id)).map(([id]) => id);
    if (adopted.length === 0 || session.isEnded) return;
    this.io.to(adopted).emit('hello', await session.snapshot());
  }

  /** Sessions of this node with at least one tab whose socket is on another node. */
  sessionsWithRemoteTabs(): AccountSession[] {
    for (const [id, tab] of this.tabs) if (tab.session.isEnded) this.tabs.delete(id);
    const local = this.io.of('/').sockets;
    return [...new Set([...this.tabs].filter(([id]) => !local.has(id)).map(([, t]) => t.session))];
  }

  /** The tab's state at this session; a tab new to it is attached (a command after a takeover attaches it too). */
  private tabState(tabId: string, session: AccountSession, visible = true): TabState {
    const known = this.tabs.get(tabId);
    if (known?.session === session) return known;
    const tab: TabState = { accountId: session.accountId, session, commands: new Map() };
    const handle: Handle = (name, run) => void tab.commands.set(name, run as (p: unknown) => Promise<unknown>);
    this.registerCommands(handle, session, tabId);
    this.tabs.set(tabId, tab);
    session.attachTab(tabId, visible);
    return tab;
  }

  private registerCommands(handle: Handle, session: AccountSession, tabId: string): void {
    const accountId = session.accountId;
    handle('history', (c: { peer: string; before?: { stamp: string; id: string }; limit: number }) => session.messages.history(c.peer, c.before, c.limit));
    handle('send', async (c: ParsedCommands['send']) => ({ message: await session.messages.send(c) }));
    handle('setPresence', async (c: { show: 'available' | 'away' | 'chat' | 'dnd' | 'xa'; status: string | null }) => {
      await session.presence.set(c.show, c.status);
      return {};
    });
    handle('visibility', async (c: { visible: boolean }) => {
      session.setTabVisible(tabId, c.visible);
      return {};
    });
    /** OMEMO devices this tab announced: it may relay only as one of them. */
    const announced = new Set<number>();
    handle('omemoAnnounce', async (c: { deviceId: number; bundle: string | null }) => {
      const devices = await session.omemo.announce(c.deviceId, c.bundle);
      announced.add(c.deviceId);
      return { devices };
    });
    // History handover between tabs of this account: relayed to the account's other sockets, never stored or logged.
    handle('omemoRelay', async (c: OmemoRelayDTO) => {
      if (!announced.has(c.from)) throw new CommandError('This tab has not announced that OMEMO device.');
      this.io.to(room(accountId)).except(tabId).emit('omemoRelay', { from: c.from, to: c.to, encrypted: c.encrypted });
      return {};
    });
    handle('omemoDevices', async (c: { jid: string; fresh: boolean }) => ({ devices: await session.omemo.devices(c.jid, c.fresh) }));
    handle('omemoBundle', async (c: { jid: string; deviceId: number; fresh: boolean }) => ({ bundle: await session.omemo.bundle(c.jid, c.deviceId, c.fresh) }));
    handle('omemoRevoke', async (c: { deviceId: number }) => ({ devices: await session.omemo.revoke(c.deviceId) }));
    handle('omemoPublication', async () => session.omemo.publication());
    // The socket's own account session asks: a tab never reaches another account's session or its access rights.
    handle('profile', (c: { jid: string; fresh: boolean }) => session.profiles.get(c.jid, c.fresh));
    for (const group of COMMAND_GROUPS) group(handle, session);
    handle('markDisplayed', async (c: { peer: string; id: string }) => {
      await session.messages.markDisplayed(c.peer, c.id);
      return {};
    });
  }

  // ---------------------------------------------------------------- this node's sockets

  private async onConnection(socket: ParleySocket): Promise<void> {
    const req = socket.request as SessionRequest;
    const accountId = req.session?.accountId;
    const jid = req.session?.jid;
    if (!accountId) {
      socket.emit('logout', { reason: 'not-logged-in' });
      socket.disconnect(true);
      return;
    }
    const log = this.deps.log.child({ account: jid, socket: socket.id });
    const sid = (req as { sessionID?: string }).sessionID;
    // The tab says in its handshake whether its page is visible; anything else counts as visible (XEP-0352 'active').
    const visible = (socket.handshake.auth as { visible?: unknown } | undefined)?.visible !== false;
    socket.data = { visible };
    // In the rooms first: the owner, wherever it is, counts the tabs in them and emits to them.
    await socket.join(sid ? [room(accountId), browserRoom(hashSid(sid))] : room(accountId));

    const bucket = new TokenBucket(this.deps.rate.burst, this.deps.rate.perSecond);
    for (const name of Object.keys(commandSchemas)) {
      socket.on(name as never, (async (payload: unknown, ack: unknown) => {
        const reply = typeof ack === 'function' ? (ack as (r: Result<unknown>) => void) : () => undefined;
        if (!bucket.take()) return reply({ ok: false, error: 'Too many requests: slow down.' });
        if (name === 'visibility') socket.data.visible = (payload as { visible?: unknown } | null)?.visible !== false;
        reply(await this.command(accountId, jid, socket.id, name, payload));
      }) as never);
    }
    socket.on('disconnect', () => {
      if (this.tabs.has(socket.id)) this.detachFrom(accountId, socket.id);
      else this.cluster?.remoteDetach(accountId, socket.id);
    });

    let hello: HelloEvent | 'ended' | 'unavailable';
    try {
      hello = await this.helloAnywhere(socket, accountId, jid, visible);
    } catch (err) {
      log.error({ err }, 'could not build the hello snapshot');
      socket.disconnect(true);
      return;
    }
    if (hello === 'ended') {
      socket.emit('logout', { reason: 'session-ended' });
      socket.disconnect(true);
    } else if (hello === 'unavailable') {
      // The tab retries on its own after a server-side disconnect; meanwhile it shows why.
      socket.emit('connection', { state: 'offline', detail: this.cluster?.unavailableText() ?? 'Parley is partly unavailable.' });
      socket.disconnect(true);
    } else if (socket.connected) {
      socket.emit('hello', hello);
    }
  }

  /** A command of this node's socket: run here when the session is here, else by its owner. */
  private async command(accountId: string, jid: string | undefined, tabId: string, name: string, payload: unknown): Promise<Result<unknown>> {
    const here = await this.commandFor(accountId, tabId, name, payload);
    if (here) return here;
    if (this.cluster && jid) {
      const there = await this.cluster.remoteCommand(accountId, tabId, name, payload);
      if (there) return there;
      if (await this.cluster.leasedElsewhere(jid)) return { ok: false, error: this.cluster.unavailableText() };
    }
    return { ok: false, error: 'Your session has ended. Log in again.' };
  }

  /**
   * The tab's hello from wherever the account's session is: here, brought back here from sealed credentials, or on the
   * node that owns it. An owner that stopped answering (killed) is waited for until another node took over.
   */
  private async helloAnywhere(socket: ParleySocket, accountId: string, jid: string | undefined, visible: boolean): Promise<HelloEvent | 'ended' | 'unavailable'> {
    const deadline = Date.now() + (this.cluster?.takeoverWindowMs ?? 0);
    for (;;) {
      const elsewhere = !!(this.cluster && jid && (await this.cluster.ownedElsewhere(jid)));
      if (!elsewhere) {
        const session = this.sessions?.byAccountId(accountId) ?? (await this.sessions?.restore(accountId));
        if (session && !session.isEnded) return (await this.helloFor(accountId, socket.id, visible))!;
        if (!this.cluster || !jid || !(await this.cluster.ownedElsewhere(jid))) return 'ended';
      }
      const remote = await this.cluster!.remoteHello(accountId, socket.id, visible);
      if (remote) return remote;
      if (Date.now() > deadline || !socket.connected) return 'unavailable';
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
