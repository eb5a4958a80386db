/**
 * Handles inbound stanzas one at a time, in arrival order. When the database is unreachable the
 * stanza is held and retried with backoff (nothing is dropped), and the tabs are told the session is degraded.
 * Other writers of the same history (archive pages) run their work in the same line with `exclusive`, so a
 * live message is never stored between an archive page's duplicate look-up and its insert.
 *
 * Bounded with back-pressure: past `limit` waiting stanzas the queue asks its source to stop reading (the XMPP
 * socket pauses, the server's sends wait in TCP) and asks it to read again once half of them are done. Nothing is
 * dropped. Every few stanzas it yields to the event loop, so a flood on one account cannot starve the others.
 *
 * Pipelining: a stanza the `pipeline` option takes (a plain chat message, which depends on no earlier one) starts its
 * store as soon as every earlier stanza that is not pipelined is done, so a run of them shares the store's group
 * commits instead of one round trip each; what each tells the tabs still runs in arrival order, after its own store.
 * Any other stanza is a barrier: it starts once everything before it is done, as without pipelining. A pipelined
 * store that fails with the database away is held and retried in arrival order, like any other stanza.
 */
import type { Logger } from '../app/logger.js';

/** Stanzas handled before yielding to the event loop (handlers that need no database resolve at once). */
const YIELD_EVERY = 32;

/** A stanza taken by the pipeline: `store` writes it; the function it resolves with tells the tabs (in arrival order). */
export interface Pipelined {
  store: () => Promise<() => void>;
}

export interface Pipeline<T> {
  /** The stanzas that may be stored beside the ones before them (cheap and synchronous); null: a barrier. */
  take: (item: T) => Pipelined | null;
  /** Pipelined stanzas started and not yet done, at most. */
  maxInFlight: number;
}

/** A pipelined store's outcome, kept until the stanza's turn. */
type Outcome = { finish: () => void } | { err: unknown };

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
  /** Settles when the latest barrier (a stanza not pipelined, or an `exclusive`) is done: pipelined stores wait for it. */
  private gate: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];

  constructor(
    private readonly handle: (item: T) => Promise<void>,
    private readonly log: Logger,
    private readonly onDegraded: (degraded: boolean) => void,
    private readonly pressure: Pressure | null = null,
    private readonly pipeline: Pipeline<T> | null = null,
  ) {
    if (pipeline && !(pipeline.maxInFlight >= 1)) throw new RangeError('pipeline needs maxInFlight of at least 1');
  }

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
    const step = this.take(item);
    if (!step) {
      this.tail = this.tail.then(() => this.run(item)).finally(() => this.done());
      this.gate = this.tail;
      return;
    }
    // Settled at once (never an unhandled rejection); looked at in the stanza's turn.
    const outcome: Promise<Outcome> = this.gate
      .then(() => this.acquire())
      .then(() => step.store())
      .then(
        (finish) => ({ finish }),
        (err: unknown) => ({ err }),
      );
    this.tail = this.tail
      .then(() => outcome)
      .then((first) => this.attempt(() => step.store().then((finish) => finish()), first))
      .finally(() => {
        this.release();
        this.done();
      });
  }

  private take(item: T): Pipelined | null {
    if (!this.pipeline) return null;
    try {
      return this.pipeline.take(item);
    } catch (err) {
      this.log.error({ err }, 'inbound pipeline could not classify a stanza: handled as a barrier');
      return null;
    }
  }

  /** A pipeline slot, first come first served (slots are given back in arrival order, as stanzas finish). */
  private acquire(): Promise<void> | void {
    if (this.inFlight < this.pipeline!.maxInFlight) {
      this.inFlight++;
      return;
    }
    return new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  private release(): void {
    const next = this.slotWaiters.shift();
    if (next) next(); // the slot passes on as is
    else this.inFlight--;
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
    this.gate = this.tail;
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
    await this.attempt(() => this.handle(item));
  }

  /**
   * Runs `fn` until it succeeds or fails for good, holding the line while the database is away. `first`: the outcome of
   * an attempt already made (a pipelined store), taken as the first try.
   */
  private async attempt(fn: () => Promise<void>, first?: Outcome): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed && attempt > 0) {
        this.log.warn('session ended with a stanza not stored; archive catch-up will fetch it');
        return;
      }
      try {
        if (attempt === 0 && first) {
          if ('err' in first) throw first.err;
          first.finish();
        } else await fn();
        if (this.degraded) this.setDegraded(false);
        return;
      } catch (err) {
        if (!isDatabaseUnavailable(err)) {
          this.log.error({ err }, 'inbound stanza handling failed');
          return;
        }
        // A pipelined store that failed beside an earlier stanza which has been stored since: the database is back, try at once.
        if (attempt === 0 && first && !this.degraded) continue;
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
