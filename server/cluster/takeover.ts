/**
 * Every node, twice a second: sessions whose owner stopped renewing its lease (killed, cut off, or stopped cleanly and
 * handed them over) are restored here from their sealed credentials. The restore catches up from the archive (MAM),
 * so the new owner has no gap; the dedup keys store a message seen twice once. Accounts without sealed credentials
 * cannot be brought back: their tabs get 'session-ended' when they reconnect.
 * The same tick keeps the owners' tab counts true: tabs whose node died are dropped (fetchSockets over the adapter).
 */
import type { Logger } from '../app/logger.js';
import type { LeaseStore } from '../store/leases.js';
import type { SessionManager } from '../xmpp/session-manager.js';
import type { Gateway } from '../realtime/gateway.js';
import type { LeaseKeeper } from './lease-keeper.js';

export interface TakeoverDeps {
  leases: LeaseStore;
  sessions: SessionManager;
  gateway: Gateway;
  keeper: LeaseKeeper;
  log: Logger;
  /** Whether the sockets of every node can be listed now (Redis reachable). */
  canReconcile: () => boolean;
  intervalMs?: number;
  /** Remote tabs are checked against the sockets on every node this often. */
  reconcileMs?: number;
}

/** Restores at most this many sessions per tick, a few at a time: a node's death is no login storm. */
const PER_TICK = 20;
const CONCURRENCY = 5;

export class TakeoverLoop {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastReconcile = 0;

  constructor(private readonly deps: TakeoverDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let restored = 0;
    try {
      // Leases this node still holds expired only while the database was away: their sessions are live here.
      const orphans = await this.deps.leases.orphaned(PER_TICK);
      for (let i = 0; i < orphans.length && this.timer; i += CONCURRENCY) {
        const batch = orphans.slice(i, i + CONCURRENCY);
        const results = await Promise.all(batch.map((id) => this.deps.sessions.restore(id).catch(() => null)));
        restored += results.filter(Boolean).length;
      }
      if (restored) this.deps.log.info({ restored }, 'sessions taken over from a node that stopped renewing its leases');
      await this.endUnrestorable();
      const now = Date.now();
      if (now - this.lastReconcile >= (this.deps.reconcileMs ?? 5000) && this.deps.canReconcile()) {
        this.lastReconcile = now;
        await Promise.all(this.deps.gateway.sessionsWithRemoteTabs().map((s) => this.deps.gateway.reconcileTabs(s).catch(() => undefined)));
      }
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'takeover loop failed; next tick tries again');
    } finally {
      this.running = false;
    }
    return restored;
  }

  /**
   * Sessions of a dead owner that no node can bring back (no sealed credentials): one node (the one that wins the
   * lease) sends their tabs, wherever they are, to the login page with 'session-ended', then drops the lease.
   */
  private async endUnrestorable(): Promise<void> {
    for (const { jid, accountId } of await this.deps.leases.orphanedWithoutCredentials(PER_TICK)) {
      if (this.deps.keeper.holds(jid)) continue; // expired while the database was away; the session is live here
      if (!(await this.deps.keeper.claim(jid)).ok) continue;
      if (accountId) this.deps.gateway.endedElsewhere(accountId);
      await this.deps.keeper.release(jid, false);
    }
  }
}
