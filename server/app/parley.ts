/**
 * Boots one Parley instance: database, stores, session manager, HTTP app, socket.io gateway.
 * Used by server/main.ts and by the tests, which start real instances on free ports.
 */
import { AvatarCache, avatarDir, fetchableBytes } from '../features/avatars.js';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import session from 'express-session';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, type Database } from '../store/db.js';
import { AccountStore } from '../store/accounts.js';
import { ContactStore } from '../store/contacts.js';
import { MessageStore } from '../store/messages.js';
import { SearchStore } from '../store/search.js';
import { MuteStore } from '../store/mutes.js';
import { RoomStore } from '../store/rooms.js';
import { PgSessionStore } from '../store/sessions.js';
import { MutationStore } from '../store/mutations.js';
import { ReactionStore } from '../store/reactions.js';
import { OmemoDeviceStore } from '../store/omemo-devices.js';
import type { Stores } from '../features/context.js';
import { SessionManager, type Connect } from '../xmpp/session-manager.js';
import { CredentialVault } from '../xmpp/credential-vault.js';
import { Gateway } from '../realtime/gateway.js';
import { createHttpApp } from '../http/app.js';
import { ParleyMetrics } from '../ops/metrics.js';
import { LoginGate } from '../xmpp/login-gate.js';
import { createOps } from '../ops/ops.js';
import { configureSoftwareInfo } from '../features/software.js';
import { Cluster } from '../cluster/cluster.js';

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Parley {
  readonly url: string;
  readonly config: Config;
  readonly db: Database;
  readonly stores: Stores;
  readonly sessions: SessionManager;
  readonly gateway: Gateway;
  readonly cluster: Cluster;
  readonly log: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Replaces the XMPP connection factory (unit tests only). */
  connect?: Connect;
  /** Serves static files and the client build from here instead of public/ (tests: a second deployment). */
  publicDir?: string;
}

export async function startParley(config: Config, opts: StartOptions = {}): Promise<Parley> {
  const log = opts.log ?? createLogger(config.logLevel);
  configureSoftwareInfo({ answerVersion: config.xmpp.answerVersion });
  const db = await openDatabase({ url: config.databaseUrl, dataDir: path.join(config.dataDir, 'postgres'), log });
  const metrics = new ParleyMetrics();
  const stores: Stores = {
    accounts: new AccountStore(db),
    contacts: new ContactStore(db),
    messages: metrics.instrumentMessageStore(new MessageStore(db)),
    sessions: new PgSessionStore(db),
    omemoDevices: new OmemoDeviceStore(db),
    mutations: new MutationStore(db),
    reactions: new ReactionStore(db),
    search: new SearchStore(db),
    mutes: new MuteStore(db),
    rooms: new RoomStore(db),
  };

  const sessionMiddleware = session({
    name: 'parley.sid',
    secret: config.sessionSecret,
    store: stores.sessions,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.publicUrl.protocol === 'https:',
      path: '/',
    },
  });

  // engine.io's attach() (in the Gateway) takes over the 'request' listeners present at that moment and calls them
  // only for paths outside /socket.io/. A listener added later also answers socket.io's polling requests, and the
  // second answer throws ERR_HTTP_HEADERS_SENT out of the process. So the app's listener exists before the Gateway.
  let app: ReturnType<typeof createHttpApp> | null = null;
  const httpServer = http.createServer((req, res) => app!(req, res));
  const gateway = new Gateway({
    httpServer,
    sessionMiddleware,
    allowedOrigin: config.publicUrl.origin,
    log,
    // Getters: an admin may change these at run time (server/ops/runtime-settings.ts); each new socket reads them.
    rate: {
      get perSecond() {
        return config.limits.socketRate;
      },
      get burst() {
        return config.limits.socketBurst;
      },
    },
  });
  const cluster = await Cluster.create(config, db, log, gateway.io as never);
  const avatars = new AvatarCache(avatarDir(config.dataDir), log, { maxBytes: fetchableBytes(config.xmpp.guards.limits.maxTextBytes) });
  const sessions = new SessionManager({
    stores,
    log,
    broadcaster: gateway,
    timers: config.timers, // the live object: run-time changes apply to the next idle period
    sync: { backfillDays: config.xmpp.backfillDays, omemoStaleDays: config.xmpp.omemoStaleDays },
    get maxSessions() {
      return config.limits.maxSessions;
    },
    services: config.xmpp.services,
    requireTls: config.xmpp.requireTls,
    guards: { limits: config.xmpp.guards.limits, stanzaRate: config.xmpp.guards.stanzaRate, roomPresenceRate: config.xmpp.guards.roomPresenceRate, timeoutMs: config.xmpp.guards.timeoutMs },
    inboundQueueLimit: config.xmpp.guards.inboundQueue,
    vault: new CredentialVault(config.sessionSecret),
    gate: new LoginGate({
      get concurrency() {
        return config.limits.loginConcurrency;
      },
      get queue() {
        return config.limits.loginQueue;
      },
    }),
    restoreConcurrency: config.limits.restoreConcurrency,
    avatars,
    connect: metrics.instrumentConnect(opts.connect),
    ownership: cluster.ownership,
  });
  gateway.attach(sessions, cluster.forwarding);
  cluster.start(sessions, gateway);
  metrics.watchSessions(sessions);
  metrics.watchLoginGate(sessions.gate);
  const ops = createOps({ config, db: { pool: db.pool, url: db.url }, sessions, metrics, cluster });
  app = createHttpApp({ config, log, sessions, sessionMiddleware, rootDir: ROOT_DIR, publicDir: opts.publicDir, ops });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  // Sessions that were live before a restart come back from their sealed credentials; MAM fills the gap.
  void sessions.restoreAll().then(
    (n) => n && log.info({ restored: n }, 'sessions restored'),
    (err: unknown) => log.error({ err }, 'session restore failed'),
  );
  const url = `http://${config.host}:${port}`;
  log.info({ url, publicUrl: config.publicUrl.href, embeddedDb: db.embedded }, 'parley listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    config,
    db,
    stores,
    sessions,
    gateway,
    cluster,
    log,
    close: () =>
      (closing ??= (async () => {
        ops.readiness.markStopping();
        cluster.stopTakingOver();
        await sessions.stopAll();
        gateway.io.close();
        await cluster.close();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await db.close();
      })()),
  };
}
