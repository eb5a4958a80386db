/**
 * Changes to messages after they were stored, applied the same way whether they arrive live, as carbons or from the
 * archive: corrections (XEP-0308) and retractions (XEP-0424), accepted only from the sender of the message they name,
 * in its own conversation; and "delete for me", which removes rows here only and keeps tombstones so that an
 * archive catch-up does not bring them back. A correction or retraction that cannot be applied is logged and
 * dropped: it is never stored as a message of its own (its fallback body would look like one).
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import { CommandError, parseEncrypted, toMessageDTO } from './messages.js';
import type { MutableRow } from './mutation-fields.js';
import type { MessageDTO, MessageVersionDTO } from '../realtime/contract.js';
import { buildCorrection, isCorrection, parseCorrection } from '../stanza/correction.js';
import { buildRetraction, isRetraction, parseRetraction } from '../stanza/retraction.js';
import { parseChatMessage, type ChatMessage } from '../stanza/message.js';
import type { MessageRow } from '../store/messages.js';
import type { MutationStore } from '../store/mutations.js';
import { buildReceipt, wantsReceipt } from '../stanza/receipts.js';
import { bareOf } from '../stanza/jid.js';
import { asGroupchat } from './rooms/room-stanza.js';

/** Ids per `conversationDeleted` event: a long conversation's ids go in several events of bounded size. */
const IDS_PER_EVENT = 5000;
/**
 * Archived mutations whose message is not stored yet, held until it is: paging back through the archive meets a
 * correction before the older page with its original. Bounded (oldest dropped), per session, memory only.
 */
const MAX_ORPHANS = 500;

export interface Orphan {
  el: Element;
  stamp: Date;
}

export class Mutations {
  /** Keyed by conversation, sender side and the id they name (see `orphanKey`); each list in arrival order. */
  private readonly orphans = new Map<string, Orphan[]>();
  private orphanCount = 0;

  constructor(private readonly ctx: SessionContext) {}

  private get store(): MutationStore {
    return this.ctx.stores.mutations;
  }

  /**
   * A live message or carbon: true when it was a correction or retraction (applied, or refused and dropped), so the
   * caller must not store it as a message.
   */
  async receive(el: Element, receivedAt: Date, live: boolean): Promise<boolean> {
    const handled = await this.apply(el, receivedAt);
    // The contact's client asked for a receipt of its correction (XEP-0184): answered as for any message to us.
    if (handled && live && wantsReceipt(el) && typeof el.attrs.id === 'string' && el.attrs.from && bareOf(el.attrs.from) !== this.ctx.jid) {
      this.ctx.conn.send(buildReceipt(String(el.attrs.from), el.attrs.id)).catch(() => undefined);
    }
    return handled;
  }

  /**
   * The mutations of an archive batch, applied once the batch's messages are stored (`fresh`: the new rows), together
   * with those held earlier for those rows, oldest first. Paging back meets newer pages first, so what was held is
   * newer than this batch: on equal stamps (whole seconds) the batch's own go first. One without its message is held.
   */
  async fromArchive(batch: readonly Orphan[], fresh: readonly MessageRow[]): Promise<void> {
    const held: Orphan[] = [];
    if (this.orphans.size > 0) {
      for (const row of fresh) {
        for (const id of new Set([row.messageId, row.originId])) {
          const key = id === null ? null : orphanKey(row.peer, row.direction, id);
          const list = key === null ? undefined : this.orphans.get(key);
          if (!list) continue;
          this.orphans.delete(key!);
          this.orphanCount -= list.length;
          held.push(...list);
        }
      }
    }
    const all = [...batch, ...held].sort((a, b) => a.stamp.getTime() - b.stamp.getTime());
    for (const m of all) await this.apply(m.el, m.stamp, true);
  }

  private hold(peer: string, direction: 'in' | 'out', id: string, el: Element, stamp: Date): void {
    if (this.orphanCount >= MAX_ORPHANS) {
      const [oldest, list] = this.orphans.entries().next().value!;
      this.orphans.delete(oldest);
      this.orphanCount -= list.length;
    }
    const key = orphanKey(peer, direction, id);
    const list = this.orphans.get(key) ?? [];
    list.push({ el, stamp });
    this.orphans.set(key, list);
    this.orphanCount++;
  }

  /** Cheap test before any database work: does this stanza try to change another message? */
  static isMutation(el: Element): boolean {
    return isCorrection(el) || isRetraction(el);
  }

  private async apply(el: Element, at: Date, archived = false): Promise<boolean> {
    if (isRetraction(el)) {
      const r = parseRetraction(el, this.ctx.jid);
      if (!r) return this.refuse('unreadable retraction');
      const row = await this.store.findTarget(this.ctx.accountId, r.peer, r.direction, r.retracts);
      if (!row && archived && !(await this.store.existsEitherSide(this.ctx.accountId, r.peer, r.retracts))) {
        this.hold(r.peer, r.direction, r.retracts, el, at);
        return true;
      }
      if (!row) return this.refuse(await this.why(r.peer, r.retracts, 'retraction'));
      const updated = await this.store.retract(this.ctx.accountId, row.id, at);
      if (updated) this.ctx.emit('message', { message: toMessageDTO(updated) });
      return true;
    }
    if (isCorrection(el)) {
      const c = parseCorrection(el, this.ctx.jid, at);
      if (!c) return this.refuse('unreadable correction');
      const m = c.message;
      const row = await this.store.findTarget(this.ctx.accountId, m.peer, m.direction, c.replaces);
      if (!row && archived && !(await this.store.existsEitherSide(this.ctx.accountId, m.peer, c.replaces))) {
        this.hold(m.peer, m.direction, c.replaces, el, at);
        return true;
      }
      if (!row) return this.refuse(await this.why(m.peer, c.replaces, 'correction'));
      const updated = await this.store.correct(this.ctx.accountId, row.id, { body: m.body, encrypted: m.encrypted, sourceId: c.sourceId, stamp: at });
      if (updated) this.ctx.emit('message', { message: toMessageDTO(updated) });
      return true;
    }
    return false;
  }

  /** Why a mutation found no message: someone else's (a spoof attempt) or an id we never stored. */
  private async why(peer: string, id: string, what: string): Promise<string> {
    const elsewhere = await this.store.existsEitherSide(this.ctx.accountId, peer, id);
    return elsewhere ? `${what} of a message its sender did not send: ignored` : `${what} of an unknown message: ignored`;
  }

  private refuse(reason: string): true {
    this.ctx.log.info(reason);
    return true;
  }

  // --- commands of the tabs -------------------------------------------------------------------------------------

  private async ownMessage(peer: string, id: string): Promise<MutableRow> {
    const row = (await this.ctx.stores.messages.byId(this.ctx.accountId, id)) as MutableRow | null;
    if (!row || row.peer !== peer) throw new CommandError('no such message in this conversation');
    if (row.direction !== 'out') throw new CommandError('only your own messages can be changed');
    if (row.retractedAt) throw new CommandError('this message was retracted');
    return row;
  }

  private online(): void {
    if (this.ctx.conn.state !== 'online') throw new CommandError('not connected to the XMPP server right now: try again in a moment');
  }

  /** Corrects our own message: stored as a new version first, then sent with `<replace>` naming the original's id. */
  async correct(cmd: { peer: string; id: string; body?: string; encrypted?: string; originId: string }): Promise<MessageDTO> {
    const row = await this.ownMessage(cmd.peer, cmd.id);
    // A pending original is on this same stream already (or waits in the outbox while offline, refused below).
    if (row.state === 'failed') throw new CommandError('this message was not sent');
    this.online();
    const encrypted = cmd.encrypted === undefined ? undefined : parseEncrypted(cmd.encrypted);
    const replaces = row.messageId ?? row.originId;
    if (!replaces) throw new CommandError('this message has no id its correction could name');
    const built = buildCorrection({ to: row.peer, id: cmd.originId, originId: cmd.originId, body: cmd.body, encrypted, replaces });
    const parsed = parseChatMessage(built, this.ctx.jid);
    if (!parsed) throw new CommandError('nothing to send');
    // In a room the correction goes to the room (its reflection then finds the row corrected already).
    const stanza = row.type === 'groupchat' ? asGroupchat(built) : built;
    const updated = await this.store.correct(this.ctx.accountId, row.id, { body: parsed.body, encrypted: parsed.encrypted, sourceId: cmd.originId, stamp: new Date() });
    // Null: this very correction was applied already (a retried command): answer with the row as it is.
    const shown = updated ?? row;
    if (updated) {
      this.ctx.emit('message', { message: toMessageDTO(updated) });
      await this.ctx.conn.sendAcked(stanza).catch((err: unknown) => this.ctx.log.warn({ err }, 'correction not acknowledged'));
    }
    return toMessageDTO(shown);
  }

  /** Retracts our own message for everyone: emptied here at once, then `<retract>` naming its origin-id. */
  async retract(cmd: { peer: string; id: string }): Promise<MessageDTO> {
    const row = await this.ownMessage(cmd.peer, cmd.id);
    this.online();
    if (!row.originId) throw new CommandError('this message has no origin-id a retraction could name');
    const updated = await this.store.retract(this.ctx.accountId, row.id, new Date());
    if (!updated) throw new CommandError('this message was retracted');
    this.ctx.emit('message', { message: toMessageDTO(updated) });
    const id = randomUUID();
    const retraction = buildRetraction({ to: row.peer, id, retracts: row.originId });
    await this.ctx.conn.sendAcked(row.type === 'groupchat' ? asGroupchat(retraction) : retraction).catch((err: unknown) => this.ctx.log.warn({ err }, 'retraction not acknowledged'));
    return toMessageDTO(updated);
  }

  async versions(cmd: { peer: string; id: string }): Promise<MessageVersionDTO[]> {
    const row = await this.ctx.stores.messages.byId(this.ctx.accountId, cmd.id);
    if (!row || row.peer !== cmd.peer) throw new CommandError('no such message in this conversation');
    const versions = await this.store.versions(this.ctx.accountId, row.id);
    return versions.map((v) => ({ version: v.version, body: v.body, encrypted: v.encrypted, sourceId: v.sourceId, stamp: v.stamp.toISOString() }));
  }

  async deleteMessage(cmd: { peer: string; id: string }): Promise<void> {
    const row = await this.ctx.stores.messages.byId(this.ctx.accountId, cmd.id);
    if (!row || row.peer !== cmd.peer) throw new CommandError('no such message in this conversation');
    if (await this.store.deleteMessage(this.ctx.accountId, row.id)) this.ctx.emit('messageDeleted', { peer: row.peer, ids: [row.id] });
  }

  async deleteConversation(peer: string): Promise<number> {
    const ids = await this.store.deleteConversation(this.ctx.accountId, peer, new Date());
    for (let i = 0; i < ids.length || i === 0; i += IDS_PER_EVENT) {
      this.ctx.emit('conversationDeleted', { peer, ids: ids.slice(i, i + IDS_PER_EVENT) });
    }
    return ids.length;
  }

  /** Drops the messages that were deleted for us (from an archive page, or redelivered by offline storage). */
  async withoutForgotten(msgs: ChatMessage[]): Promise<ChatMessage[]> {
    const gone = await this.store.forgotten(this.ctx.accountId, msgs);
    if (gone.size > 0) this.ctx.log.debug({ skipped: gone.size }, 'messages deleted for this account not stored again');
    return gone.size === 0 ? msgs : msgs.filter((_, i) => !gone.has(i));
  }
}

const orphanKey = (peer: string, direction: string, id: string) => JSON.stringify([peer, direction, id]);
