/**
 * Several Parley nodes behind one URL, wired from server/app/parley.ts: this node's identity, its session leases
 * (PostgreSQL), the takeover loop, and, with PARLEY_REDIS_URL, the socket.io Redis adapter that carries tabs' events
 * and commands between nodes. Without PARLEY_REDIS_URL the node still takes leases (one cheap statement per login,
 * one per TTL/3 for all), so a second node started by mistake on the same database cannot open the same sessions.
 */
import type { Server } from 'socket.io';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import type { Database } from '../store/db.js';
import { LeaseStore } from '../store/leases.js';
import type { AccountSession } from '../xmpp/account-session.js';
import type { EndReason, SessionManager, SessionOwnership } from '../xmpp/session-manager.js';
import type { Gateway } from '../realtime/gateway.js';
import { LeaseKeeper } from './lease-keeper.js';
import { ClusterBus } from './bus.js';
import { Forwarding } from './forwarding.js';
import { TakeoverLoop } from './takeover.js';

export interface ClusterStatus {
  nodeId: string;
  /** null: this node runs without PARLEY_REDIS_URL */
  redisOk: boolean | null;
  leaseTtlMs: number;
  nodes: { node: string; seenAt: Date; redisOk: boolean | null; leases: number }[];
  liveLeases: number;
}

export class Cluster {
  readonly leases: LeaseStore;
  readonly keeper: LeaseKeeper;
  readonly forwarding: Forwarding;
  readonly ownership: SessionOwnership;
  private takeover: TakeoverLoop | null = null;
  private sessions: SessionManager | null = null;
  private gateway: Gateway | null = null;

  private constructor(
    private readonly config: Config,
    db: Database,
    private readonly log: Logger,
    readonly bus: ClusterBus | null,
  ) {
    const ttlMs = config.cluster.leaseTtlMs;
    this.leases = new LeaseStore(db);
    this.keeper = new LeaseKeeper({
      leases: this.leases,
      node: config.cluster.nodeId,
      ttlMs,
      maxSessions: () => config.limits.maxSessions,
      fenceOnSilence: !!config.cluster.redisUrl,
      redisOk: () => (bus ? bus.redisOk : null),
      log,
      onLost: (jids) => this.fence(jids),
    });
    // A tab or a login waits this long for a silent owner to be replaced: its lease expires, then a takeover tick.
    this.forwarding = new Forwarding(bus, this.leases, this.keeper, ttlMs + 3000);
    const keeper = this.keeper;
    const forwarding = this.forwarding;
    this.ownership = {
      claim: async (jid) => {
        const claim = await keeper.claim(jid);
        return claim.ok ? 'ours' : claim.reason === 'held' ? 'elsewhere' : 'capacity';
      },
      // A clean stop hands the session over (another node restores it within a second); every other end frees it.
      release: (jid, reason: EndReason | 'failed') => void keeper.release(jid, reason === 'shutdown'),
      started: (session: AccountSession) => {
        if (bus) void this.gateway?.adopt(session).catch((err: unknown) => log.warn({ err, account: session.jid }, 'could not adopt the tabs of a previous owner'));
      },
      ownedElsewhere: (jid) => forwarding.ownedElsewhere(jid),
      loginElsewhere: (jid, password, remember) => forwarding.loginElsewhere(jid, password, remember),
      takeoverWindowMs: forwarding.takeoverWindowMs,
    };
  }

  static async create(config: Config, db: Database, log: Logger, io: Server): Promise<Cluster> {
    const bus = config.cluster.redisUrl ? await ClusterBus.start(io, config.cluster.redisUrl, log.child({ part: 'cluster' })) : null;
    return new Cluster(config, db, log.child({ node: config.cluster.nodeId }), bus);
  }

  get nodeId(): string {
    return this.config.cluster.nodeId;
  }

  /** Once the session manager and the gateway exist: serve other nodes, renew leases, take orphaned sessions over. */
  start(sessions: SessionManager, gateway: Gateway): void {
    this.sessions = sessions;
    this.gateway = gateway;
    this.forwarding.serve(gateway, sessions);
    this.keeper.start();
    // With Redis away, fetchSockets would see only this node's sockets: remote tabs are kept until it is back.
    const bus = this.bus;
    this.takeover = new TakeoverLoop({ leases: this.leases, sessions, gateway, keeper: this.keeper, log: this.log, canReconcile: () => !bus || bus.redisOk });
    this.takeover.start();
  }

  /** These sessions' leases are no longer ours: end them at once, their tabs here reconnect and find the new owner. */
  private fence(jids: string[]): void {
    for (const session of this.sessions?.sessions() ?? []) {
      if (!jids.includes(session.jid)) continue;
      void session.end('fenced').finally(() => this.gateway?.disconnectLocal(session.accountId));
    }
  }

  async status(): Promise<ClusterStatus> {
    const [nodes, liveLeases] = await Promise.all([this.leases.nodesAlive(this.config.cluster.leaseTtlMs), this.leases.liveCount()]);
    return { nodeId: this.nodeId, redisOk: this.bus ? this.bus.redisOk : null, leaseTtlMs: this.config.cluster.leaseTtlMs, nodes, liveLeases };
  }

  /** Before the sessions stop: no more takeovers here. */
  stopTakingOver(): void {
    this.takeover?.stop();
  }

  /** After the sessions stopped (their leases handed over). */
  async close(): Promise<void> {
    this.takeover?.stop();
    await this.keeper.close();
    await this.bus?.close();
  }
}
