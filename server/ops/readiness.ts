/**
 * Readiness (`/readyz`): may this instance take traffic now? Yes when the database answers `SELECT 1` within the
 * time limit and the session manager is not shutting down. Liveness (`/healthz`) only says the process runs.
 */

/** The one thing readiness needs from the database: satisfied by pg.Pool. */
export interface Queryable {
  query(sql: string): Promise<unknown>;
}

export type ReadinessResult = { ready: true } | { ready: false; reason: string };

export class Readiness {
  private stopping = false;

  constructor(private readonly deps: { db: Queryable; timeoutMs?: number }) {}

  /** From now on the instance is draining: load balancers should stop sending it new work. */
  markStopping(): void {
    this.stopping = true;
  }

  async check(): Promise<ReadinessResult> {
    if (this.stopping) return { ready: false, reason: 'shutting down: the session manager is closing the XMPP sessions' };
    return databaseAnswers(this.deps.db, this.deps.timeoutMs ?? 1000);
  }
}

/** `SELECT 1` within `timeoutMs`; the reason names what failed (never a connection string). */
export async function databaseAnswers(db: Queryable, timeoutMs: number): Promise<ReadinessResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessResult>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, reason: `database did not answer SELECT 1 within ${timeoutMs} ms` }), timeoutMs);
  });
  const query = db.query('SELECT 1').then(
    (): ReadinessResult => ({ ready: true }),
    (err: unknown): ReadinessResult => ({ ready: false, reason: `database error: ${err instanceof Error ? err.message : String(err)}` }),
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
