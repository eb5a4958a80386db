/**
 * Handles inbound stanzas one at a time, in arrival order. When the database is unreachable the
 * stanza is held and retried with backoff (nothing is dropped), and the tabs are told the session is degraded.
 */
import type { Logger } from '../app/logger.js';

const MAX_HELD = 100_000;

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string } | null;
  if (!e) return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', 'P1001', 'P1017'].includes(e.code ?? '') ||
    /Connection terminated|connect ECONNREFUSED|Can't reach database|server closed the connection|database system is (starting up|shutting down)/i.test(e.message ?? '')
  );
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
