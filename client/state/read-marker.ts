/**
 * When a tab tells the server how far it has read a conversation (the `markDisplayed` command). Marking is
 * cumulative, so only the newest incoming message shown counts; a burst of messages renders many times, and one
 * command per render would hit the socket's rate limit. Per conversation: at most one command in flight and one per
 * `intervalMs`; what is shown meanwhile is sent when both allow (trailing), so the newest is always sent in the end.
 */
import { compareIds } from './order.js';

interface Mark {
  /** The newest id the server confirmed or was asked for (null: none yet). */
  sent: string | null;
  /** The newest id shown and not sent yet. */
  wanted: string | null;
  inFlight: boolean;
  lastSentAt: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export const MARK_INTERVAL_MS = 300;

export class ReadMarker {
  private readonly marks = new Map<string, Mark>();

  constructor(
    private readonly send: (peer: string, id: string) => Promise<unknown>,
    private readonly intervalMs = MARK_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The tab shows `peer`'s conversation up to incoming message `id`. Returns true when that is news. */
  shown(peer: string, id: string): boolean {
    const mark = this.mark(peer);
    const newest = mark.wanted ?? mark.sent;
    if (newest !== null && compareIds(id, newest) <= 0) return false;
    mark.wanted = id;
    this.pump(peer, mark);
    return true;
  }

  /** Forgets what was sent (after a reconnect, or when the server refused): the next `shown` sends again. */
  forget(peer: string): void {
    const mark = this.marks.get(peer);
    if (!mark) return;
    if (mark.timer) clearTimeout(mark.timer);
    this.marks.delete(peer);
  }

  private mark(peer: string): Mark {
    let mark = this.marks.get(peer);
    if (!mark) {
      mark = { sent: null, wanted: null, inFlight: false, lastSentAt: -Infinity, timer: null };
      this.marks.set(peer, mark);
    }
    return mark;
  }

  private pump(peer: string, mark: Mark): void {
    if (mark.inFlight || mark.timer || mark.wanted === null) return;
    const wait = mark.lastSentAt + this.intervalMs - this.now();
    if (wait > 0) {
      mark.timer = setTimeout(() => {
        mark.timer = null;
        this.pump(peer, mark);
      }, wait);
      return;
    }
    const id = mark.wanted;
    mark.wanted = null;
    mark.sent = id;
    mark.inFlight = true;
    mark.lastSentAt = this.now();
    this.send(peer, id).then(
      () => {
        mark.inFlight = false;
        if (this.marks.get(peer) === mark) this.pump(peer, mark);
      },
      () => {
        // Refused or lost: forget it, so the next render tries again (never a retry loop here).
        mark.inFlight = false;
        if (this.marks.get(peer) === mark) this.forget(peer);
      },
    );
  }

  /** The newest id sent for `peer` (null: none since the last `forget`). */
  upTo(peer: string): string | null {
    return this.marks.get(peer)?.sent ?? null;
  }

  /** Nothing waiting or in flight for `peer` (tests). */
  idle(peer: string): boolean {
    const mark = this.marks.get(peer);
    return !mark || (!mark.inFlight && !mark.timer && mark.wanted === null);
  }
}
