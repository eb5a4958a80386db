/**
 * Admission control for XMPP logins: at most `concurrency` logins in flight, at most `queue` more waiting in
 * arrival order; anything past that is refused at once (the login page answers "busy, try again"), so that a
 * login storm costs a bounded amount of memory and CPU instead of thousands of half-open streams timing out.
 * Limits are read on every admission (an admin may change them at run time).
 */

export interface GateLimits {
  readonly concurrency: number;
  readonly queue: number;
}

/** The gate is full: nothing was started. */
export class GateBusy extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many logins in progress');
  }
}

export interface GateStats {
  inFlight: number;
  waiting: number;
  admitted: number;
  /** Admitted logins whose task then failed (a timeout, a refused password): a restore retried after one counts twice. */
  failed: number;
  refused: number;
}

export class LoginGate {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private admitted = 0;
  private failed = 0;
  private refused = 0;
  /** Recent login durations (ms, moving average): what Retry-After is estimated from. */
  private averageMs = 1000;

  constructor(private readonly limits: GateLimits) {}

  /**
   * Runs `task` when a slot is free. `bounded: false` waits however long the queue is (start-up restores, which
   * are paced by their own pool); a bounded call is refused with GateBusy when the queue is full.
   */
  async run<T>(task: () => Promise<T>, { bounded = true }: { bounded?: boolean } = {}): Promise<T> {
    if (this.inFlight >= this.limits.concurrency) {
      if (bounded && this.queued >= this.limits.queue) {
        this.refused++;
        throw new GateBusy(this.retryAfterSeconds());
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.inFlight++;
    }
    this.admitted++;
    const t0 = performance.now();
    try {
      return await task();
    } catch (err) {
      this.failed++;
      throw err;
    } finally {
      this.averageMs = this.averageMs * 0.9 + (performance.now() - t0) * 0.1;
      this.release();
    }
  }

  stats(): GateStats {
    return { inFlight: this.inFlight, waiting: this.queued, admitted: this.admitted, failed: this.failed, refused: this.refused };
  }

  private get queued(): number {
    return this.waiting.length - this.head;
  }

  /** The slot passes straight to the next waiter (inFlight unchanged), or is freed. */
  private release(): void {
    if (this.head < this.waiting.length && this.inFlight <= this.limits.concurrency) {
      const next = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as unknown as () => void;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else {
      this.inFlight--;
    }
  }

  /** Seconds until the queue is likely drained: what the 503's Retry-After says (1 to 60). */
  private retryAfterSeconds(): number {
    const drainMs = ((this.queued + this.inFlight) / Math.max(1, this.limits.concurrency)) * this.averageMs;
    return Math.min(60, Math.max(1, Math.ceil(drainMs / 1000)));
  }
}
