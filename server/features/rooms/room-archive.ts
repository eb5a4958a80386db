/**
 * A room's own archive (XEP-0313 addressed to the room JID). Results count only when they come from the room the
 * query went to, with the queryid we chose: a result claiming another room, or one nobody asked for, is dropped
 * (another room, or anyone else, could otherwise plant messages in a conversation). Results are handed over in
 * batches, in archive order, to whoever stores them (history.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { SessionContext } from '../context.js';
import { NS } from '../../stanza/ns.js';
import { buildMamQuery, parseMamFin, type MamFin } from '../../stanza/mam.js';
import { forwardedMessage } from '../../stanza/carbons.js';
import { parseDelay } from '../../stanza/message.js';

export interface RoomArchiveResult {
  archiveId: string;
  /** The forwarded message, as the room archived it. */
  message: Element;
  /** When the room archived it (the <forwarded><delay>). */
  stamp: Date | null;
}

/** Results of one query are stored in batches of at most this many, whatever the room sends. */
const MAX_BATCH = 500;
/** A page asks for this many; Prosody caps it at its max_archive_query_results. */
export const ROOM_PAGE = 100;

interface Query {
  room: string;
  /** An older page (paging back), not a catch-up: see history.ts belowOldest. */
  older: boolean;
  pending: RoomArchiveResult[];
  chain: Promise<void>;
  received: number;
  fresh: number;
}

/** Stores one batch of a room's results, in archive order; returns how many were new. */
export type StoreBatch = (room: string, results: RoomArchiveResult[], older: boolean) => Promise<number>;

export interface PageResult {
  fin: MamFin;
  /** Results received (stored or already held). */
  received: number;
  fresh: number;
}

export class RoomArchive {
  private readonly queries = new Map<string, Query>();

  constructor(private readonly ctx: SessionContext, private readonly storeBatch: StoreBatch) {}

  /**
   * Called for every message stanza before our own archive's router: true when it was a result of one of our room
   * queries (taken, or dropped as forged). A result with an unknown queryid is left to the others (our own archive).
   */
  claim(el: Element): boolean {
    if (el.name !== 'message') return false;
    const result = el.getChild('result', NS.mam);
    if (!result) return false;
    const q = this.queries.get(String(result.attrs.queryid ?? ''));
    if (!q) return false;
    const from = String(el.attrs.from ?? '').toLowerCase();
    if (from !== q.room) {
      this.ctx.log.warn({ room: q.room, from: String(el.attrs.from ?? '') }, 'room archive result from elsewhere dropped');
      return true;
    }
    const forwarded = result.getChild('forwarded', NS.forward);
    const message = forwardedMessage(forwarded);
    const archiveId = result.attrs.id;
    if (typeof archiveId !== 'string' || !archiveId || archiveId.length > 256 || !message) return true;
    q.pending.push({ archiveId, message, stamp: forwarded ? parseDelay(forwarded) : null });
    q.received++;
    if (q.pending.length >= MAX_BATCH) this.flush(q).catch(() => undefined);
    return true;
  }

  private flush(q: Query): Promise<void> {
    const batch = q.pending;
    q.pending = [];
    if (batch.length === 0) return q.chain;
    q.chain = q.chain.then(async () => {
      q.fresh += await this.storeBatch(q.room, batch, q.older);
    });
    return q.chain;
  }

  /** One page of the room's archive; resolves once its results are stored. */
  async page(room: string, rsm: { after?: string; before?: string; start?: Date; end?: Date; max?: number }, older = false): Promise<PageResult> {
    const queryId = randomUUID();
    const q: Query = { room, older, pending: [], chain: Promise.resolve(), received: 0, fresh: 0 };
    this.queries.set(queryId, q);
    try {
      const iq = buildMamQuery({ queryId, max: rsm.max ?? ROOM_PAGE, after: rsm.after, before: rsm.before, start: rsm.start, end: rsm.end });
      iq.attrs.to = room;
      let answer: Element;
      try {
        answer = await this.ctx.conn.iq(iq, 60_000);
      } finally {
        // Results after the answer (or after a failure) are not ours to take any more; those received are stored.
        this.queries.delete(queryId);
        await this.flush(q);
      }
      const fin = parseMamFin(answer) ?? { complete: true, first: null, last: null, count: null };
      return { fin, received: q.received, fresh: q.fresh };
    } finally {
      this.queries.delete(queryId);
    }
  }
}
