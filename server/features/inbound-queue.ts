/**
 * Handles inbound stanzas one at a time, in arrival order. When the database is unreachable the
 * stanza is held and retried with backoff (nothing is dropped), and the tabs are told the session is degraded.
 * Other writers of the same history (archive pages) run their work in the same line with `exclusive`, so a
 * live message is never stored between an archive page's duplicate look-up and its insert.
 *
 * Bounded with back-pressure: past `limit` waiting stanzas the queue asks its source to stop reading (the XMPP
 * socket pauses, the server's sends wait in TCP) and asks it to read again once half of them are done. Nothing is
 * dropped. Every few stanzas it yields to the event loop, so a flood on one account cannot starve the others.
 */
import type { Logger } from '../app/logger.js';

/** Stanzas handled before yielding to the event loop (handlers that need no database resolve at once). */
const YIELD_EVERY = 32;

export interface Pressure {
  /** Waiting stanzas at which `pause(true)` is called; `pause(false)` at half of it. */
  limit: number;
  pause: (paused: boolean) => void;
}

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
  private closed = false;
  private paused = false;
  private sinceYield = 0;

  constructor(
    private readonly handle: (item: T) => Promise<void>,
    private readonly log: Logger,
    private readonly onDegraded: (degraded: boolean) => void,
    private readonly pressure: Pressure | null = null,
  ) {}

  /** True while the source was asked to stop reading. */
  get isPaused(): boolean {
    return this.paused;
  }

  get size(): number {
    return this.held;
  }

  push(item: T): void {
    if (this.closed) return; // the session is over: its archive catch-up on the next start has the stanza
    this.held++;
    if (this.pressure && !this.paused && this.held >= this.pressure.limit) {
      this.paused = true;
      this.pressure.pause(true);
    }
    this.tail = this.tail.then(() => this.run(item)).finally(() => this.done());
  }

  private done(): void {
    this.held--;
    if (this.paused && this.pressure && this.held <= this.pressure.limit / 2) {
      this.paused = false;
      this.pressure.pause(false);
    }
  }

  /**
   * Runs `fn` after everything pushed so far and before anything pushed later; its result or error goes to the
   * caller (no retry here: the caller decides).
   */
  exclusive<R>(fn: () => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(new Error('inbound queue closed'));
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves when everything pushed so far has been handled. */
  drain(): Promise<void> {
    return this.tail;
  }

  /** Like drain, but gives up after `ms` (the database may be down); resolves true when drained. */
  async drainWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.tail.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops taking stanzas and stops retrying held ones (a stanza waiting for the database gives up at its next try).
   * Used when the session ends: its XMPP server's archive still has whatever was not stored, and the next session's
   * catch-up fetches it. Without this a held stanza would retry forever against a database that was shut down.
   */
  close(): void {
    this.closed = true;
  }

  private async run(item: T): Promise<void> {
    if (++this.sinceYield >= YIELD_EVERY) {
      this.sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
    for (let attempt = 0; ; attempt++) {
      if (this.closed && attempt > 0) {
        this.log.warn('session ended with a stanza not stored; archive catch-up will fetch it');
        return;
      }
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
