/**
 * This node's session leases: taken before an XMPP connection opens, renewed together every TTL/3, given up when a
 * session ends. When renewal has not worked for most of the TTL (database gone, node cut off), or a renewal shows a
 * lease was taken over, the node ends those sessions itself (fencing): two connections per account never coexist.
 */
import type { Logger } from '../app/logger.js';
import type { Claim, LeaseStore } from '../store/leases.js';

export interface LeaseKeeperDeps {
  leases: LeaseStore;
  node: string;
  ttlMs: number;
  /** PARLEY_MAX_SESSIONS, read per claim (an admin may change it at run time). */
  maxSessions: () => number;
  /** Whether this node reaches Redis (null: it runs without), recorded with each heartbeat. */
  redisOk: () => boolean | null;
  log: Logger;
  /**
   * Whether leases that could not be renewed for most of the TTL end their sessions. Yes with several nodes (another
   * may claim them); a single node (no PARLEY_REDIS_URL) keeps its sessions through a database outage, as it always did,
   * and still fences a lease that a renewal shows was taken over.
   */
  fenceOnSilence: boolean;
  /** These leases are lost: end their sessions now, without releasing anything. */
  onLost: (jids: string[], why: string) => void;
}

/**
 * Fencing starts this long before the lease would expire on the database's clock (the renewal's start is earlier than
 * the moment the database stamped it), leaving time for the XMPP connections to close before another node may claim.
 */
const FENCE_MARGIN = 0.25;

export class LeaseKeeper {
  /** jid -> the epoch we hold it at, and performance.now() when its last successful claim or renewal was sent */
  private readonly held = new Map<string, { epoch: string; sentAt: number }>();
  private renewing = false;
  /** Releases under way: a clean stop waits for them before the database closes. */
  private readonly releasing = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly deps: LeaseKeeperDeps) {}

  get node(): string {
    return this.deps.node;
  }

  get heldCount(): number {
    return this.held.size;
  }

  holds(jid: string): boolean {
    return this.held.has(jid);
  }

  start(): void {
    const renew = setInterval(() => void this.renew(), Math.max(200, Math.floor(this.deps.ttlMs / 3)));
    const watch = setInterval(() => this.watch(), Math.max(50, Math.floor(this.deps.ttlMs / 24)));
    renew.unref();
    watch.unref();
    this.timers = [renew, watch];
    void this.renew();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  async claim(jid: string): Promise<Claim> {
    const sentAt = performance.now();
    const claim = await this.deps.leases.claim(jid, this.deps.node, this.deps.ttlMs, this.deps.maxSessions());
    if (claim.ok) this.held.set(jid, { epoch: claim.epoch, sentAt });
    return claim;
  }

  /** `handOver`: another node should take the session over at once (a clean stop); else nobody should. */
  async release(jid: string, handOver: boolean): Promise<void> {
    if (!this.held.delete(jid)) return;
    const done = this.deps.leases.release(jid, this.deps.node, handOver).catch((err: unknown) => this.deps.log.warn({ err, jid }, 'could not release a session lease; it expires by itself'));
    this.releasing.add(done);
    await done.finally(() => this.releasing.delete(done));
  }

  /** Stops renewing and waits for the releases under way (a clean stop hands every session over before exiting). */
  async close(): Promise<void> {
    this.stop();
    await Promise.all([...this.releasing]);
  }

  /** One statement for every lease (and the heartbeat). A lease missing from its answer was taken over: fenced. */
  async renew(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    const sentAt = performance.now();
    const snapshot = [...this.held].map(([jid, h]) => ({ jid, epoch: h.epoch }));
    try {
      const renewed = await this.deps.leases.renew(this.deps.node, snapshot, this.deps.ttlMs, this.deps.redisOk());
      const lost: string[] = [];
      for (const h of snapshot) {
        const now = this.held.get(h.jid);
        if (now?.epoch !== h.epoch) continue; // released or claimed again meanwhile
        if (renewed.has(h.jid)) now.sentAt = Math.max(now.sentAt, sentAt);
        else lost.push(h.jid);
      }
      if (lost.length) this.lose(lost, 'the lease was taken over by another node');
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, leases: this.held.size }, 'session lease renewal failed');
    } finally {
      this.renewing = false;
    }
  }

  private watch(): void {
    if (!this.deps.fenceOnSilence) return;
    const limit = performance.now() - this.deps.ttlMs * (1 - FENCE_MARGIN);
    const stale = [...this.held].filter(([, h]) => h.sentAt < limit).map(([jid]) => jid);
    if (stale.length) this.lose(stale, 'session leases could not be renewed (database unreachable)');
  }

  private lose(jids: string[], why: string): void {
    for (const jid of jids) this.held.delete(jid);
    this.deps.log.error({ sessions: jids.length, why }, 'ending sessions whose lease is no longer ours (fencing)');
    this.deps.onLost(jids, why);
  }
}
