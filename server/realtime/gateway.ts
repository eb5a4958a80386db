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
import { commandSchemas, type ClientCommands, type ServerEvents, type Result, type CommandResults, type OmemoRelayDTO, type ParsedCommands } from './contract.js';
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
type ParleySocket = Socket<ClientCommands, ServerEvents>;

/** Registers one command of a socket: `run` gets the validated payload; what it throws as CommandError reaches the tab. */
export type Handle = <K extends keyof CommandResults>(name: K, run: (payload: ParsedCommands[K]) => Promise<CommandResults[K]>) => void;

/** One concern's commands (server/realtime/commands/*.ts), registered on every socket of a live account session. */
export type CommandGroup = (handle: Handle, session: AccountSession) => void;

/** Groups every socket gets, besides the core commands below. Each concern adds its own module here. */
const COMMAND_GROUPS: CommandGroup[] = [rosterCommands, ownProfileCommands, blockingCommands, avatarCommands, mutationCommands, reactionCommands, searchCommands, roomCommands, roomAdminCommands];

const room = (accountId: string) => `account:${accountId}`;
/** The sockets of one browser session, named by the session's row id (SHA-256 of its id, never the cookie). */
const browserRoom = (browserId: string) => `browser:${browserId}`;

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

  attach(sessions: SessionManager): void {
    this.sessions = sessions;
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

  private async onConnection(socket: ParleySocket): Promise<void> {
    const req = socket.request as SessionRequest;
    const accountId = req.session?.accountId;
    const session = accountId ? (this.sessions?.byAccountId(accountId) ?? (await this.sessions?.restore(accountId))) : undefined;
    if (!accountId || !session) {
      socket.emit('logout', { reason: accountId ? 'session-ended' : 'not-logged-in' });
      socket.disconnect(true);
      return;
    }
    const log = this.deps.log.child({ account: session.jid, socket: socket.id });
    const sid = (req as { sessionID?: string }).sessionID;
    await socket.join(sid ? [room(accountId), browserRoom(hashSid(sid))] : room(accountId));
    // The tab says in its handshake whether its page is visible; anything else counts as visible (XEP-0352 'active').
    session.attachTab(socket.id, (socket.handshake.auth as { visible?: unknown } | undefined)?.visible !== false);
    socket.on('disconnect', () => session.detachTab(socket.id));

    const bucket = new TokenBucket(this.deps.rate.burst, this.deps.rate.perSecond);
    const handle: Handle = (name, run) => {
      socket.on(name, (async (payload: unknown, ack: unknown) => {
        const reply = typeof ack === 'function' ? (ack as (r: Result<unknown>) => void) : () => undefined;
        if (!bucket.take()) return reply({ ok: false, error: 'Too many requests: slow down.' });
        const live = this.sessions?.byAccountId(accountId);
        if (!live || live.isEnded) return reply({ ok: false, error: 'Your session has ended. Log in again.' });
        const parsed = commandSchemas[name].safeParse(payload);
        if (!parsed.success) return reply({ ok: false, error: `Invalid ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}` });
        try {
          reply({ ok: true, data: await run(parsed.data as never) } as never);
        } catch (err) {
          if (!(err instanceof CommandError)) log.error({ err, command: name }, 'command failed');
          reply({ ok: false, error: err instanceof CommandError ? err.message : 'The server could not do that right now.' });
        }
      }) as never);
    };

    handle('history', (c: { peer: string; before?: { stamp: string; id: string }; limit: number }) => session.messages.history(c.peer, c.before, c.limit));
    handle('send', async (c: ParsedCommands['send']) => ({ message: await session.messages.send(c) }));
    handle('setPresence', async (c: { show: 'available' | 'away' | 'chat' | 'dnd' | 'xa'; status: string | null }) => {
      await session.presence.set(c.show, c.status);
      return {};
    });
    handle('visibility', async (c: { visible: boolean }) => {
      session.setTabVisible(socket.id, c.visible);
      return {};
    });
    /** OMEMO devices this socket announced: it may relay only as one of them. */
    const announced = new Set<number>();
    handle('omemoAnnounce', async (c: { deviceId: number; bundle: string | null }) => {
      const devices = await session.omemo.announce(c.deviceId, c.bundle);
      announced.add(c.deviceId);
      return { devices };
    });
    // History handover between tabs of this account: relayed to the account's other sockets, never stored or logged.
    handle('omemoRelay', async (c: OmemoRelayDTO) => {
      if (!announced.has(c.from)) throw new CommandError('This tab has not announced that OMEMO device.');
      socket.to(room(accountId)).emit('omemoRelay', { from: c.from, to: c.to, encrypted: c.encrypted });
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

    try {
      socket.emit('hello', await session.snapshot());
    } catch (err) {
      log.error({ err }, 'could not build the hello snapshot');
      socket.disconnect(true);
    }
  }
}
