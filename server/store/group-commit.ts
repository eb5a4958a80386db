/**
 * Group commit: items added from anywhere in the process (every account's session) within one turn of the event loop
 * are written together by one call of `write`, so a hundred accounts receiving at once cost one statement and one
 * commit instead of a hundred. At most `maxInFlight` writes run at a time; what arrives meanwhile waits for the next
 * one, so batches grow with the load and a lone item waits no longer than one turn of the event loop.
 *
 * With `keyOf` (a conversation), a write never takes an item whose key has one in a write still running: the item
 * waits for the next write, with everything after it of its key. So rows of one conversation get their ids in the
 * order they were added (ids break ties between equal stamps), however many writes run at once.
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
  /** Keys with items in a running write, and how many such writes (only with `keyOf`). */
  private readonly busyKeys = new Map<string, number>();
  private scheduled = false;

  constructor(
    private readonly write: BatchWrite<T, R>,
    private readonly opts: { maxItems: number; maxInFlight: number; keyOf?: (item: T) => string },
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
      const { batch, keys } = this.nextBatch();
      if (batch.length === 0) return; // every waiting item's key is busy: the end of a write schedules again
      this.inFlight++;
      for (const k of keys) this.busyKeys.set(k, (this.busyKeys.get(k) ?? 0) + 1);
      void this.run(batch).finally(() => {
        this.inFlight--;
        for (const k of keys) {
          const n = this.busyKeys.get(k)! - 1;
          if (n === 0) this.busyKeys.delete(k);
          else this.busyKeys.set(k, n);
        }
        this.schedule();
      });
    }
  }

  /** Up to maxItems waiting items, in order, leaving those whose key is busy (they keep their place). */
  private nextBatch(): { batch: Waiting<T, R>[]; keys: Set<string> } {
    const keyOf = this.opts.keyOf;
    if (!keyOf) return { batch: this.waiting.splice(0, this.opts.maxItems), keys: new Set() };
    const batch: Waiting<T, R>[] = [];
    const keys = new Set<string>();
    const left: Waiting<T, R>[] = [];
    for (const w of this.waiting) {
      const k = keyOf(w.item);
      if (batch.length < this.opts.maxItems && !this.busyKeys.has(k)) {
        batch.push(w);
        keys.add(k);
      } else left.push(w);
    }
    this.waiting = left;
    return { batch, keys };
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
