/** Everything operational one instance needs, built once in startParley and handed to the HTTP app. */
import type { Config } from '../app/config.js';
import type { SessionManager } from '../xmpp/session-manager.js';
import type { SqlClient } from './check-database.js';
import type { CheckResult } from './check.js';
import { AdminDirectory } from './admins.js';
import { ensureAdminToken } from './admin-token.js';
import { runDoctor } from './doctor.js';
import { ParleyMetrics } from './metrics.js';
import { Readiness } from './readiness.js';
import type { ClusterStatus } from '../cluster/cluster.js';

export interface Ops {
  readonly metrics: ParleyMetrics;
  readonly readiness: Readiness;
  readonly admins: AdminDirectory;
  /** Bearer token of the loopback admin API. */
  readonly adminToken: string;
  readonly sessions: SessionManager;
  /** This node's id, the nodes alive, the live leases and whether Redis answers (the admin panel's "Cluster"). */
  clusterStatus(): Promise<ClusterStatus | null>;
  /** The doctor's results, at most `maxAgeMs` old (the network checks take seconds). */
  doctor(maxAgeMs?: number): Promise<{ results: CheckResult[]; at: Date }>;
}

export function createOps(deps: { config: Config; db: { pool: SqlClient; url: string }; sessions: SessionManager; metrics: ParleyMetrics; cluster?: { status(): Promise<ClusterStatus> } }): Ops {
  let last: { results: CheckResult[]; at: Date } | null = null;
  let running: Promise<{ results: CheckResult[]; at: Date }> | null = null;
  return {
    metrics: deps.metrics,
    readiness: new Readiness({ db: deps.db.pool }),
    admins: new AdminDirectory(deps.db.pool, deps.config.admins),
    adminToken: ensureAdminToken(deps.config),
    sessions: deps.sessions,
    clusterStatus: () => (deps.cluster ? deps.cluster.status().catch(() => null) : Promise.resolve(null)),
    doctor(maxAgeMs = 60_000) {
      if (last && Date.now() - last.at.getTime() <= maxAgeMs) return Promise.resolve(last);
      running ??= runDoctor({ config: deps.config, db: { client: deps.db.pool, url: deps.db.url } })
        .then((results) => (last = { results, at: new Date() }))
        .finally(() => (running = null));
      return running;
    },
  };
}
