/**
 * Reconnect delays: exponential backoff with "full jitter" (delay drawn uniformly from 0..ceiling), so that
 * many sessions dropped by the same server restart do not come back in lock-step (no reconnect storm).
 */
export interface BackoffOptions {
  /** Ceiling of the first attempt. */
  baseMs?: number;
  /** The ceiling never grows past this. */
  maxMs?: number;
  /** Every delay is at least this long. */
  minMs?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 60_000;
  const min = Math.min(opts.minMs ?? 0, max);
  const random = opts.random ?? Math.random;
  // 2 ** attempt overflows to Infinity for big attempts; Math.min keeps the cap.
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(min + random() * Math.max(0, ceiling - min));
}

/** Counts consecutive failures; the count only resets after a connection stayed up long enough to be trusted. */
export class Backoff {
  private attempt = 0;
  private onlineSince: number | null = null;

  constructor(
    private readonly opts: BackoffOptions & { stableMs?: number } = {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Delay before the next attempt; each call counts as one more attempt. */
  next(): number {
    return backoffDelay(this.attempt++, this.opts);
  }

  /** A connection is up. */
  succeeded(): void {
    this.onlineSince = this.now();
  }

  /**
   * A connection went down. If it had been up for less than `stableMs`, the attempt count keeps growing:
   * a server that accepts and then drops us at once is not hammered at the base rate.
   */
  dropped(): void {
    if (this.onlineSince !== null && this.now() - this.onlineSince >= (this.opts.stableMs ?? 30_000)) this.attempt = 0;
    this.onlineSince = null;
  }

  /**
   * The peer broke a rule (a stream bound): the connection it is on does not count as stable, however long it
   * lasted, so the delays keep growing while the server keeps misbehaving.
   */
  penalize(): void {
    this.onlineSince = null;
  }

  get attempts(): number {
    return this.attempt;
  }
}
