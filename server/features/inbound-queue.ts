/**
 * Handles inbound stanzas one at a time, in arrival order. When the database is unreachable the
 * stanza is held and retried with backoff (nothing is dropped), and the tabs are told the session is degraded.
 */
import type { Logger } from '../app/logger.js';

const MAX_HELD = 100_000;

/**
 * Errors that pass when the database comes back: connection failures, server shutting down or restarting,
 * resource exhaustion, serialization conflicts. Checked through `cause` chains (Prisma's adapter wraps pg errors).
 * Anything else (a constraint violation, a bug) is not retried: holding the queue forever would lose more.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; originalCode?: unknown } | null;
  if (!e || typeof e !== 'object' || depth > 5) return false;
  const code = String(e.code ?? e.originalCode ?? '');
  if (/^(08|53|57|58|40)[0-9A-Z]{3}$/.test(code)) return true; // SQLSTATE classes: connection, resources, operator, system, rollback
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'P1001', 'P1002', 'P1008', 'P1017', 'P2024'].includes(code)) return true;
  const message = String(e.message ?? '');
  if (/connect|connection|terminat|not queryable|timeout|timed out|pool|server closed|database system is|shutting down|starting up/i.test(message)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

export class InboundQueue<T> {
  private tail: Promise<void> = Promise.resolve();
  private held = 0;
  private degraded = false;

  constructor(
    private readonly handle: (item: T) => Promise<void>,
    private readonly log: Logger,
    private readonly onDegraded: (degraded: boolean) => void,
  ) {}

  get size(): number {
    return this.held;
  }

  push(item: T): void {
    if (this.held >= MAX_HELD) {
      // The XMPP server's archive still has it; MAM catch-up fetches it after a reconnect.
      this.log.error('inbound queue full, stanza left to archive catch-up');
      return;
    }
    this.held++;
    this.tail = this.tail.then(() => this.run(item)).finally(() => this.held--);
  }

  /** Resolves when everything pushed so far has been handled. */
  drain(): Promise<void> {
    return this.tail;
  }

  private async run(item: T): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handle(item);
        if (this.degraded) this.setDegraded(false);
        return;
      } catch (err) {
        if (!isDatabaseUnavailable(err)) {
          this.log.error({ err }, 'inbound stanza handling failed');
          return;
        }
        if (!this.degraded) this.setDegraded(true);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  private setDegraded(degraded: boolean): void {
    this.degraded = degraded;
    this.onDegraded(degraded);
  }
}
