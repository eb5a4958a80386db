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
  private failedWaiters: ((err: Error) => void)[] = [];

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
    for (const w of this.failedWaiters.splice(0)) w(err);
  }

  /** Rejects once the stream fails (to race other waits against); never resolves. */
  whenFailed(): Promise<never> {
    if (this.failure) return Promise.reject(this.failure);
    const p = new Promise<never>((_, reject) => this.failedWaiters.push(reject));
    p.catch(() => {}); // a failure nobody raced against is not an unhandled rejection
    return p;
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
