/**
 * Elements received during stream negotiation, in order, for a sequential negotiator to take one by one.
 * Buffering (rather than waiting for an event) matters: the server often sends several elements in one TCP
 * chunk (stream header + features, <success/> + ...), all parsed before the negotiator's next `await` resumes.
 */
import type { Element } from '@xmpp/xml';

export class ElementInbox {
  private readonly items: Element[] = [];
  private waiter: { resolve: (el: Element) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  /** Removed again when what they wait for settles: a live stream would otherwise keep every negotiation step's closure. */
  private readonly failedWaiters = new Set<(err: Error) => void>();

  push(el: Element): void {
    if (this.failure) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(el);
    } else {
      this.items.push(el);
    }
  }

  /** The stream is gone: the pending and every later `next()` rejects with `err`. */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.items.length = 0;
    this.waiter?.reject(err);
    this.waiter = null;
    const waiters = [...this.failedWaiters];
    this.failedWaiters.clear();
    for (const w of waiters) w(err);
  }

  /** Calls `onFailure` once if the stream fails; the returned function stops waiting (call it once done). */
  onFailure(onFailure: (err: Error) => void): () => void {
    if (this.failure) {
      const err = this.failure;
      queueMicrotask(() => onFailure(err));
      return () => undefined;
    }
    this.failedWaiters.add(onFailure);
    return () => void this.failedWaiters.delete(onFailure);
  }

  /** `work`, unless the stream fails first (then its failure). Nothing stays registered once either happened. */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const off = this.onFailure(reject);
      work.then(
        (v) => (off(), resolve(v)),
        (e: unknown) => (off(), reject(e)),
      );
    });
  }

  next(): Promise<Element> {
    const el = this.items.shift();
    if (el) return Promise.resolve(el);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('ElementInbox: only one reader at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}
