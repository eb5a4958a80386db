/**
 * History without gaps (XEP-0313): after every new XMPP session, page forward through our own archive
 * from the newest archive id we stored, so nothing that arrived while we were away is missed. On the very
 * first login, start from `backfillDays` ago. Older pages are fetched on demand when a tab scrolls past
 * the oldest stored message of a conversation.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { Messages } from './messages.js';
import { buildMamQuery, parseMamFin, type MamResult } from '../stanza/mam.js';
import { parseChatMessage, type ChatMessage } from '../stanza/message.js';
import type { BatchStamp, MessageRow } from '../store/messages.js';
import { Mutations } from './mutations.js';

const PAGE = 250;

/** The newest archived message we hold (null: none yet). */
type Anchor = { stanzaId: string; stamp: Date } | null;
/** A runaway archive must not keep a session busy forever: the next session continues from where this one stopped. */
const MAX_PAGES_PER_RUN = 400;

/** Results of one query are stored in batches of at most this many, even if a server sends more than it should. */
const MAX_BATCH = 1000;

interface Collector {
  /** Parsed results in archive order, not stored yet. */
  pending: ChatMessage[];
  /** Corrections and retractions among them, applied after the messages before them are stored. */
  mutations: { el: Element; stamp: Date }[];
  /** Batches being stored, one after the other. */
  chain: Promise<void>;
  stored: number;
  /** Of those, how many we did not hold yet. */
  fresh: number;
  /** See archiveOrder. */
  floor: Date | null;
}

/**
 * Catch-up only: results come in archive order, newer than what we hold. Prosody's archive stamps have whole
 * seconds, so a result may carry a stamp earlier than a message before it that we stored live with milliseconds;
 * lifting it to the floor keeps the archive's order. The floor moves to every message's stored stamp (for a
 * duplicate, the stamp of the row we hold). With a null floor (first login, older pages) stamps stay as they are.
 */
export function archiveOrder(initial: Date | null): { stamp: BatchStamp; floor: () => Date | null } {
  let floor = initial;
  return {
    stamp(msg, held) {
      const stamp = floor && msg.stamp < floor ? floor : msg.stamp;
      const stored = held ?? stamp;
      if (floor && stored > floor) floor = stored;
      return stamp;
    },
    floor: () => floor,
  };
}

export class ArchiveSync {
  private readonly collectors = new Map<string, Collector>();
  private running: Promise<number> | null = null;
  /** Applies archived corrections and retractions (set by the session). */
  mutations: Mutations | null = null;

  /**
   * `serialize` runs a page's storage in line with the live stanzas (InboundQueue.exclusive): a live message stored
   * between the page's duplicate look-up and its insert would otherwise break the floor rule (archiveOrder) and
   * put a later archive message before it.
   */
  constructor(
    private readonly ctx: SessionContext,
    private readonly messages: Messages,
    private readonly backfillDays: number,
    private readonly serialize: <R>(store: () => Promise<R>) => Promise<R>,
  ) {}

  /**
   * Archived stanzas that are not messages of their own (reactions): `claim` returns the work that applies one, run in
   * archive order after the messages before it are stored, or null for an ordinary message.
   */
  claim: ((el: Element, stamp: Date) => (() => Promise<unknown>) | null) | null = null;

  /**
   * Private messages through a room (marked with the muc#user element) in our archive: never one-to-one messages with
   * the room's bare JID. The rooms feature stores them under the occupant's JID (RoomHistory.archivedPm); unset, they
   * are dropped.
   */
  roomPm: ((el: Element, stamp: Date, archiveId: string) => Promise<unknown>) | null = null;

  /** Called by the session's router for every MAM result from our own archive. Results of unknown queries are dropped. */
  onResult(result: Extract<MamResult, { kind: 'result' }>): void {
    const c = this.collectors.get(result.queryId);
    if (!c) return;
    if (Mutations.isMutation(result.message)) {
      // Never a message of its own: applied to the message it names once the batch so far is stored.
      c.mutations.push({ el: result.message, stamp: result.stamp ?? new Date() });
      if (c.mutations.length >= MAX_BATCH) this.flush(c).catch(() => undefined);
      return;
    }
    const claimed = this.claim?.(result.message, result.stamp ?? new Date());
    if (claimed) {
      this.flush(c).catch(() => undefined);
      c.chain = c.chain.then(() => this.serialize(claimed)).then(() => undefined);
      return;
    }
    if (isMarkedMucPm(result.message)) {
      const pm = this.roomPm;
      if (pm) {
        this.flush(c).catch(() => undefined);
        c.chain = c.chain.then(() => this.serialize(() => pm(result.message, result.stamp ?? new Date(), result.archiveId))).then(() => undefined);
      }
      return;
    }
    let msg: ChatMessage | null;
    try {
      msg = parseChatMessage(result.message, this.ctx.jid);
    } catch (err) {
      // Runs inside the connection's stanza handler now, not in a promise: a parser bug must not escape into it.
      this.ctx.log.warn({ err, archiveId: result.archiveId }, 'unreadable archive result dropped');
      return;
    }
    if (!msg) return;
    // The archive's id IS the stanza-id our archive stamps on live messages (XEP-0359 §5).
    msg.stanzaId = result.archiveId;
    // Our own archive's time, not whatever delay the sender wrote inside the message (it could backdate).
    if (result.stamp) msg.stamp = result.stamp;
    c.pending.push(msg);
    // Handled here so a failure is not an unhandled rejection before query() awaits the chain (and rethrows it).
    if (c.pending.length >= MAX_BATCH) this.flush(c).catch(() => undefined);
  }

  /** Stores what has been collected as one batch, after the batches before it. */
  private flush(c: Collector): Promise<void> {
    const batch = c.pending;
    const mutations = c.mutations;
    c.pending = [];
    c.mutations = [];
    c.chain = c.chain.then(async () => {
      let fresh: MessageRow[] = [];
      if (batch.length > 0) {
        const order = archiveOrder(c.floor);
        const results = await this.serialize(() => this.messages.storeMany(batch, order.stamp));
        fresh = results.flatMap((r) => (r.inserted ? [r.row] : []));
        c.stored += results.length;
        c.fresh += fresh.length;
        c.floor = order.floor();
      }
      if (this.mutations) await this.serialize(() => this.mutations!.fromArchive(mutations, fresh));
    });
    return c.chain;
  }

  /**
   * Where the next catch-up starts. Read it BEFORE the new session becomes available: once our presence is out,
   * live messages get stored with newer archive ids, and starting after those would skip the gap.
   */
  anchor(): Promise<Anchor> {
    return this.ctx.stores.messages.lastArchived(this.ctx.accountId);
  }

  /** Pages forward to now; concurrent calls share one run. Returns how many messages were stored or matched. */
  catchUp(anchor?: Anchor): Promise<number> {
    return (this.running ??= this.runCatchUp(anchor).finally(() => (this.running = null)));
  }

  private async runCatchUp(given?: Anchor): Promise<number> {
    const anchor = given === undefined ? await this.anchor() : given;
    let after = anchor?.stanzaId;
    let start = after ? undefined : new Date(Date.now() - this.backfillDays * 24 * 3600_000);
    let floor = anchor?.stamp ?? null;
    let total = 0;
    for (let page = 0; page < MAX_PAGES_PER_RUN; page++) {
      let res;
      try {
        res = await this.query({ after, start, max: PAGE }, floor);
      } catch (err) {
        if ((err as { condition?: string }).condition === 'item-not-found' && after) {
          // Our newest id expired from the archive: continue by time from the newest message we hold.
          this.ctx.log.warn({ after }, 'archive id not found, catching up by date');
          after = undefined;
          start = (await this.ctx.stores.messages.newestStamp(this.ctx.accountId)) ?? new Date(Date.now() - this.backfillDays * 24 * 3600_000);
          floor = null;
          continue;
        }
        throw err;
      }
      total += res.stored;
      floor = res.floor;
      if (res.complete || !res.last) break;
      after = res.last;
      start = undefined;
    }
    this.ctx.log.info({ stored: total }, 'archive catch-up done');
    return total;
  }

  /** Older messages with one contact, before the given stamp (when a tab scrolls past what we hold). */
  /** `stored` counts only messages we did not hold yet. */
  async older(peer: string, before: Date, max = 100): Promise<{ stored: number; complete: boolean }> {
    const res = await this.query({ with: peer, end: new Date(before.getTime() - 1), before: '', max });
    return { stored: res.fresh, complete: res.complete };
  }

  private async query(
    q: { after?: string; before?: string; start?: Date; end?: Date; with?: string; max: number },
    floor: Date | null = null,
  ): Promise<{ stored: number; fresh: number; complete: boolean; last: string | null; floor: Date | null }> {
    const queryId = randomUUID();
    const collector: Collector = { pending: [], mutations: [], chain: Promise.resolve(), stored: 0, fresh: 0, floor };
    this.collectors.set(queryId, collector);
    try {
      let result: Element;
      try {
        result = await this.ctx.conn.iq(buildMamQuery({ queryId, ...q }), 60_000);
      } catch (err) {
        // The results that did arrive are the start of the page, in order: keep them (the next run continues after them).
        this.collectors.delete(queryId);
        await this.flush(collector).catch((storeErr: unknown) => this.ctx.log.error({ err: storeErr }, 'storing a partial archive page failed'));
        throw err;
      }
      this.collectors.delete(queryId);
      await this.flush(collector);
      const fin = parseMamFin(result);
      return { stored: collector.stored, fresh: collector.fresh, complete: fin?.complete ?? true, last: fin?.last ?? null, floor: collector.floor };
    } finally {
      this.collectors.delete(queryId);
    }
  }
}

/** A MUC-PM as rooms mark them (XEP-0045 §7.5: the empty muc#user element; invitations and declines are not PMs). */
export function isMarkedMucPm(el: Element): boolean {
  const x = el.getChild('x', 'http://jabber.org/protocol/muc#user');
  return !!x && !x.getChild('invite') && !x.getChild('decline') && el.attrs.type !== 'groupchat';
}
