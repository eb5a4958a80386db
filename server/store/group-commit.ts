/**
 * Group commit: items added from anywhere in the process (every account's session) within one turn of the event loop
 * are written together by one call of `write`, so a hundred accounts receiving at once cost one statement and one
 * commit instead of a hundred. At most `maxInFlight` writes run at a time; what arrives meanwhile waits for the next
 * one, so batches grow with the load and a lone item waits no longer than one turn of the event loop.
 *
 * Each item's promise settles with its own result: `write` answers per item (one bad item, or a database that went
 * away, fails only the items it concerns, each with its own error for its caller to handle as before).
 */
export type BatchWrite<T, R> = (items: readonly T[]) => Promise<PromiseSettledResult<R>[]>;

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly write: BatchWrite<T, R>,
    private readonly opts: { maxItems: number; maxInFlight: number },
  ) {
    if (!(opts.maxItems >= 1 && opts.maxInFlight >= 1)) throw new RangeError('group commit needs maxItems and maxInFlight of at least 1');
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items added and not written yet, and writes running (tests, metrics). */
  get pending(): { waiting: number; inFlight: number } {
    return { waiting: this.waiting.length, inFlight: this.inFlight };
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every stanza read in this turn of the event loop (from any socket) joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.opts.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.opts.maxItems);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async run(batch: Waiting<T, R>[]): Promise<void> {
    let results: PromiseSettledResult<R>[];
    try {
      results = await this.write(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r.status === 'fulfilled') w.resolve(r.value);
      else w.reject(r.reason);
    });
  }
}
