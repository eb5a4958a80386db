/**
 * Read state per conversation, marked from any tab of the account (or from a carbon of our marker sent by another
 * client). Every tab marks as it renders, so a burst of messages brings a stream of "read up to" requests for the
 * same conversation: they are coalesced here.
 *
 * - At most one database update per conversation is in flight; requests that arrive meanwhile collapse into one,
 *   the newest (by stamp, id) winning. A request at or below what is already marked is answered at once (idempotent).
 * - The chat marker to the peer (XEP-0333 `<displayed/>`) is cumulative: it means "read up to here". It is sent once
 *   the conversation's marks have been quiet for MARKER_QUIET_MS, for the newest message marked, and never twice for
 *   the same or an older message: the peer gets ONE marker for a burst read in one go, not one per message or tab.
 */
import type { SessionContext } from './context.js';
import type { MessageRow } from '../store/messages.js';
import { buildDisplayed } from '../stanza/receipts.js';

export const MARKER_QUIET_MS = 1500;
/** A conversation marked without pause (a peer that never stops sending) still gets a marker this often. */
export const MARKER_MAX_WAIT_MS = 30_000;

interface Target {
  row: MessageRow;
  notifyPeer: boolean;
}

interface Waiter {
  row: MessageRow;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Conversation {
  /** The newest message marked in the database by this session. */
  done: MessageRow | null;
  /** The newest request not yet taken by the running update. */
  wanted: Target | null;
  running: boolean;
  waiters: Waiter[];
  /** The newest incoming message whose marker is due, and the newest one a marker was sent for. */
  markerDue: MessageRow | null;
  markerSent: MessageRow | null;
  markerTimer: NodeJS.Timeout | null;
  /** When the due marker first became due (see MARKER_MAX_WAIT_MS). */
  markerDueSince: number;
}

/** Order of messages in a conversation: (stamp, id), as the store pages them. */
export function compareRows(a: Pick<MessageRow, 'stamp' | 'id'>, b: Pick<MessageRow, 'stamp' | 'id'>): number {
  const byStamp = a.stamp.getTime() - b.stamp.getTime();
  if (byStamp !== 0) return byStamp;
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x < y ? -1 : x > y ? 1 : 0;
}

const newer = (a: MessageRow | null, b: MessageRow): boolean => a === null || compareRows(b, a) > 0;

export class ReadMarks {
  private readonly conversations = new Map<string, Conversation>();

  constructor(private readonly ctx: SessionContext) {}

  /** Marks `peer`'s conversation read up to `row`; resolves once the database holds at least that. */
  mark(peer: string, row: MessageRow, notifyPeer: boolean): Promise<void> {
    const conv = this.conversation(peer);
    // Already marked (by a tab, or by a carbon of the marker another client of ours sent): nothing more to do.
    if (!newer(conv.done, row)) return Promise.resolve();
    if (!conv.wanted || compareRows(row, conv.wanted.row) > 0) conv.wanted = { row, notifyPeer: notifyPeer || (conv.wanted?.notifyPeer ?? false) };
    else if (notifyPeer) conv.wanted.notifyPeer = true;
    const done = new Promise<void>((resolve, reject) => conv.waiters.push({ row, resolve, reject }));
    if (!conv.running) void this.run(peer, conv);
    return done;
  }

  private conversation(peer: string): Conversation {
    let conv = this.conversations.get(peer);
    if (!conv) {
      conv = { done: null, wanted: null, running: false, waiters: [], markerDue: null, markerSent: null, markerTimer: null, markerDueSince: 0 };
      this.conversations.set(peer, conv);
    }
    return conv;
  }

  private async run(peer: string, conv: Conversation): Promise<void> {
    conv.running = true;
    try {
      while (conv.wanted) {
        const target = conv.wanted;
        conv.wanted = null;
        const waiting = conv.waiters.filter((w) => compareRows(w.row, target.row) <= 0);
        conv.waiters = conv.waiters.filter((w) => !waiting.includes(w));
        try {
          await this.apply(peer, conv, target);
          for (const w of waiting) w.resolve();
        } catch (err) {
          for (const w of waiting) w.reject(err);
        }
      }
    } finally {
      conv.running = false;
    }
  }

  private async apply(peer: string, conv: Conversation, { row, notifyPeer }: Target): Promise<void> {
    const changed = newer(conv.done, row) ? await this.ctx.stores.messages.markDisplayedUpTo(this.ctx.accountId, peer, row.stamp, row.id) : 0;
    if (newer(conv.done, row)) conv.done = row;
    // Read elsewhere (a carbon of our own marker): the tabs hear of it even if nothing changed here.
    if (changed > 0 || !notifyPeer) this.ctx.emit('read', { peer, upTo: row.id });
    // No markers into rooms: a displayed marker there would go to every occupant (and a type chat one is refused).
    if (notifyPeer && changed > 0 && row.direction === 'in' && row.type !== 'groupchat' && (row.originId ?? row.messageId) && newer(conv.markerDue, row)) {
      if (conv.markerDue === null) conv.markerDueSince = Date.now();
      conv.markerDue = row;
      this.scheduleMarker(peer, conv);
    }
  }

  /** Sends the marker once marks have been quiet for MARKER_QUIET_MS (or MARKER_MAX_WAIT_MS passed): one, for the newest. */
  private scheduleMarker(peer: string, conv: Conversation): void {
    if (conv.markerTimer) clearTimeout(conv.markerTimer);
    const left = conv.markerDueSince + MARKER_MAX_WAIT_MS - Date.now();
    conv.markerTimer = setTimeout(() => {
      conv.markerTimer = null;
      const due = conv.markerDue;
      conv.markerDue = null;
      if (!due || !newer(conv.markerSent, due)) return;
      conv.markerSent = due;
      this.ctx.conn.send(buildDisplayed(peer, due.originId ?? due.messageId!)).catch(() => undefined);
    }, Math.max(0, Math.min(MARKER_QUIET_MS, left)));
    // A session that ends meanwhile only makes this send fail quietly.
    conv.markerTimer.unref();
  }
}
