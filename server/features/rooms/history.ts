/**
 * Room messages and their history (RoomMessagesPort): live room messages and MUC-PMs stored once, our own sends
 * matched to their reflection by origin-id, catch-up through the room's archive on every join (XEP-0313 to the room
 * JID) or `<history since=…>` where the room keeps none, older pages from the room's archive, corrections,
 * retractions and reactions from the same occupant, and moderation (XEP-0425) announced by the room.
 *
 * The registry (registry.ts) owns the rooms: it calls joinHistory() before it sends a join, joined() on each
 * self-presence, receive() for every groupchat message of a known room and every MUC-PM from one of its occupants;
 * the session's router hands room archive results to claimArchiveResult() before its own archive sees them.
 */
import type { Element } from '@xmpp/xml';
import parseXml from 'ltx/lib/parse.js';
import type { SessionContext } from '../context.js';
import type { RoomMessagesPort, RoomRegistryPort, RoomView } from './ports.js';
import type { RoomFeaturesDTO } from '../../realtime/contract/rooms.js';
import type { MessageDTO } from '../../realtime/contract.js';
import { CommandError, outgoingRow, parseEncrypted, toMessageDTO, type Messages, type RoomConversations, type SendRequest } from '../messages.js';
import { parseGroupchat, parseModeration, validNick, type JoinHistory, type GroupchatMessage } from '../../stanza/muc.js';
import { buildChatMessage, MAX_BODY_CHARS, parseChatMessage } from '../../stanza/message.js';
import { buildReply, codePoints } from '../../stanza/reply.js';
import { NS_REACTIONS } from '../../stanza/reactions.js';
import { parseJid } from '../../stanza/jid.js';
import type { BatchStamp, MessageRow, NewMessage } from '../../store/messages.js';
import { archiveOrder } from '../archive.js';
import { RoomArchive, type RoomArchiveResult } from './room-archive.js';
import { pmRow, roomMessageRow, type RoomSource } from './room-message.js';
import { RoomMutations } from './room-mutations.js';
import { asGroupchat, asMucPm, roomTargetId } from './room-stanza.js';

export { asGroupchat, asMucPm };

export interface RoomHistoryOptions {
  /** First join of a room with an archive: fetch this far back... */
  firstJoinDays?: number;
  /** ...but at most this many messages (the newest). */
  firstJoinMax?: number;
  /** First join of a room without an archive: ask its history for this many messages. */
  firstJoinStanzas?: number;
}

/** A runaway room archive must not keep a session busy: the next join continues from where this one stopped. */
const MAX_CATCHUP_PAGES = 200;
const OLDER_PAGE = 100;

export class RoomHistory implements RoomMessagesPort, RoomConversations {
  readonly archive: RoomArchive;
  private readonly mutations: RoomMutations;
  /** The catch-up running per room (joined() may come again while one runs: a nick change, a rejoin). */
  private readonly catchUps = new Map<string, Promise<void>>();
  private readonly days: number;
  private readonly firstMax: number;
  private readonly firstStanzas: number;

  constructor(
    private readonly ctx: SessionContext,
    private readonly registry: RoomRegistryPort,
    private readonly messages: Messages,
    opts: RoomHistoryOptions = {},
  ) {
    this.days = opts.firstJoinDays ?? 2;
    this.firstMax = opts.firstJoinMax ?? 1000;
    this.firstStanzas = opts.firstJoinStanzas ?? 50;
    this.archive = new RoomArchive(ctx, (room, results, older) => this.storeArchived(room, results, older));
    this.mutations = new RoomMutations(ctx);
    messages.rooms = this;
  }

  // --- RoomConversations (what Messages hands over) ----------------------------------------------------------

  owns(peer: string): boolean {
    const j = parseJid(peer);
    if (!j || !j.local) return false;
    // The room itself, or one of its occupants (a MUC-PM): both go through the room.
    return this.registry.get(j.bare) !== undefined;
  }

  // --- RoomMessagesPort -----------------------------------------------------------------------------------------

  async joinHistory(room: string, features: RoomFeaturesDTO): Promise<JoinHistory> {
    if (features.mam) return { kind: 'none' };
    const newest = await this.ctx.stores.messages.edgeStamp(this.ctx.accountId, room, 'newest');
    // Strictly after what we hold: the room's history stamps have whole seconds, ours the arrival's milliseconds.
    return newest ? { kind: 'since', since: new Date(newest.getTime() + 1) } : { kind: 'maxstanzas', maxstanzas: this.firstStanzas };
  }

  joined(room: string, features: RoomFeaturesDTO): void {
    const run = (this.catchUps.get(room) ?? Promise.resolve())
      .then(async () => {
        if (features.mam) await this.catchUp(room);
        await this.flushPending(room);
      })
      .catch((err: unknown) => this.ctx.log.warn({ err, room }, 'room catch-up failed'))
      .finally(() => {
        if (this.catchUps.get(room) === run) this.catchUps.delete(room);
      });
    this.catchUps.set(room, run);
  }

  /** Resolves once the room's catch-up (if any) is done: tests, and the registry if it wants to wait. */
  settled(room: string): Promise<void> {
    return this.catchUps.get(room) ?? Promise.resolve();
  }

  async receive(el: Element, receivedAt: Date): Promise<void> {
    try {
      if (el.name !== 'message') return;
      if (el.attrs.type === 'groupchat') return await this.receiveGroupchat(el, receivedAt);
      return await this.receivePm(el, receivedAt);
    } catch (err) {
      // A hostile stanza or a database hiccup must not break the registry's stanza handling.
      this.ctx.log.warn({ err }, 'room message not stored');
    }
  }

  /** Router hook: true when `el` was a result of one of our room archive queries (stored, or dropped as forged). */
  claimArchiveResult(el: Element): boolean {
    return this.archive.claim(el);
  }

  /** Unread messages of the room that mention us (RoomDTO.mentions). */
  mentions(room: string): Promise<number> {
    return this.ctx.stores.messages.unreadMentions(this.ctx.accountId, room);
  }

  // --- live ---------------------------------------------------------------------------------------------------

  private async receiveGroupchat(el: Element, receivedAt: Date): Promise<void> {
    const moderation = parseModeration(el);
    if (moderation) {
      if (!this.registry.get(moderation.room)) return;
      return this.mutations.moderate(moderation, receivedAt);
    }
    const gc = groupchatOf(el, receivedAt);
    if (!gc) return;
    const view = this.registry.get(gc.room);
    if (!view) return this.ctx.log.debug('groupchat message from a room we are not in: dropped');
    // History the room replays on join carries the room's delay; only the room writes that.
    const source: RoomSource = gc.delay ? 'history' : 'live';
    await this.store(view, el, gc, source, gc.delay ?? receivedAt);
  }

  /** One room message (live, history or archive): a mutation of an earlier one, or a message of its own. */
  private async store(view: RoomView, el: Element, gc: GroupchatMessage, source: RoomSource, stamp: Date, archiveId?: string): Promise<MessageRow | null> {
    const occupant = gc.nick ? view.occupant(gc.nick) : undefined;
    if (source === 'live' && gc.nick !== null && gc.nick !== view.nick && !occupant) {
      this.ctx.log.debug('live room message from a nick that is not an occupant: dropped');
      return null;
    }
    if (gc.nick !== null && (await this.mutations.apply(view, el, gc, occupant, source, stamp))) return null;
    const r = roomMessageRow({ accountId: this.ctx.accountId, ownBare: this.ctx.jid, el, gc, ourNick: view.nick, occupant, source, stamp, archiveId });
    if (!r.ok) return null;
    const { row, inserted } = await this.ctx.stores.messages.insert(r.row);
    if (inserted) this.ctx.emit('message', { message: toMessageDTO(row) });
    else await this.reflected(row, r.row);
    return row;
  }

  /** A message we hold came again: our own send's reflection (or its copy in the archive) makes it 'sent'. */
  private async reflected(row: MessageRow, seen: NewMessage): Promise<void> {
    if (row.direction !== 'out' || seen.direction !== 'out' || row.state !== 'pending') return;
    const updated = await this.ctx.stores.messages.updateState(this.ctx.accountId, row.id, 'sent', ['pending', 'failed']);
    if (updated) this.ctx.emit('message', { message: toMessageDTO(updated) });
  }

  private async receivePm(el: Element, receivedAt: Date): Promise<void> {
    // Incoming from room/nick, or (a carbon of) ours to room/nick.
    const from = parseJid(el.attrs.from);
    const to = parseJid(el.attrs.to);
    const other = from && from.bare !== this.ctx.jid ? from : to;
    if (!other || !other.local || !validNick(other.resource)) return;
    const view = this.registry.get(other.bare);
    if (!view) return;
    if (this.mutations.isMutationOrReaction(el)) return; // one-to-one semantics through a room: not supported, never a message
    const r = pmRow({ accountId: this.ctx.accountId, ownBare: this.ctx.jid, el, room: other.bare, nick: other.resource, occupant: view.occupant(other.resource), receivedAt });
    if (!r.ok) return;
    const { row, inserted } = await this.ctx.stores.messages.insert(r.row);
    if (inserted) this.ctx.emit('message', { message: toMessageDTO(row) });
  }

  /**
   * A MUC-PM found in our own archive (ArchiveSync.roomPm): stored under the occupant's JID with our archive's id, even
   * when we are not in that room right now (the muc#user marker says it is a PM; it is never a direct chat).
   */
  async archivedPm(el: Element, stamp: Date, archiveId: string): Promise<void> {
    const from = parseJid(el.attrs.from ?? this.ctx.jid);
    const to = parseJid(el.attrs.to ?? this.ctx.jid);
    const other = from && from.bare !== this.ctx.jid ? from : to;
    if (!other || !other.local || !validNick(other.resource) || other.bare === this.ctx.jid) return;
    const r = pmRow({ accountId: this.ctx.accountId, ownBare: this.ctx.jid, el, room: other.bare, nick: other.resource, occupant: undefined, receivedAt: stamp });
    if (!r.ok) return;
    const { row, inserted } = await this.ctx.stores.messages.insert({ ...r.row, stanzaId: archiveId, stamp });
    if (inserted) this.ctx.emit('message', { message: toMessageDTO(row) });
  }

  // --- catch-up and older pages through the room's archive ----------------------------------------------------

  private async catchUp(room: string): Promise<void> {
    const anchor = await this.ctx.stores.messages.roomEdge(this.ctx.accountId, room, 'newest');
    if (!anchor) return this.firstFill(room);
    let after: string | undefined = anchor.stanzaId;
    let start: Date | undefined;
    for (let page = 0; page < MAX_CATCHUP_PAGES; page++) {
      let res;
      try {
        res = await this.archive.page(room, { after, start });
      } catch (err) {
        if ((err as { condition?: string }).condition === 'item-not-found' && after) {
          // Our newest id expired from the room's archive: continue by time from the newest we hold.
          after = undefined;
          start = (await this.ctx.stores.messages.edgeStamp(this.ctx.accountId, room, 'newest')) ?? anchor.stamp;
          continue;
        }
        throw err;
      }
      if (res.fin.complete || !res.fin.last || res.received === 0) break;
      after = res.fin.last;
      start = undefined;
    }
  }

  /** First join: the newest messages of the last days, paging back from the end, at most firstJoinMax of them. */
  private async firstFill(room: string): Promise<void> {
    const start = new Date(Date.now() - this.days * 24 * 3600_000);
    let before = '';
    let total = 0;
    for (let page = 0; page < MAX_CATCHUP_PAGES && total < this.firstMax; page++) {
      const res = await this.archive.page(room, { start, before, max: Math.min(100, this.firstMax - total) });
      total += res.received;
      if (res.fin.complete || !res.fin.first || res.received === 0) break;
      before = res.fin.first;
    }
  }

  /** Messages.history ran out of stored messages of a room: one page of the room's archive before `before`. */
  older(peer: string, before: Date): Promise<{ stored: number; complete: boolean }> | null {
    const view = this.registry.get(peer);
    if (!view || !view.features.mam) return null;
    return (async () => {
      const oldest = await this.ctx.stores.messages.roomEdge(this.ctx.accountId, peer, 'oldest');
      const res = oldest
        ? await this.archive.page(peer, { before: oldest.stanzaId, max: OLDER_PAGE }, true)
        : await this.archive.page(peer, { end: new Date(before.getTime() - 1), before: '', max: OLDER_PAGE }, true);
      return { stored: res.fresh, complete: res.fin.complete || res.received === 0 };
    })();
  }

  /** One batch of a room's archive results, in archive order: messages stored together, mutations in their turn. */
  private async storeArchived(room: string, results: RoomArchiveResult[], older: boolean): Promise<number> {
    const view = this.registry.get(room);
    if (!view) return 0;
    const rows: NewMessage[] = [];
    const later: { el: Element; gc: GroupchatMessage | null; stamp: Date }[] = [];
    for (const res of results) {
      const stamp = res.stamp ?? new Date();
      const moderation = parseModeration(res.message);
      if (moderation) {
        if (moderation.room === room) later.push({ el: res.message, gc: null, stamp });
        continue;
      }
      const gc = groupchatOf(res.message, new Date());
      // The archive of this room speaks for this room only.
      if (!gc || gc.room !== room || gc.nick === null) continue;
      if (this.mutations.isMutationOrReaction(res.message)) {
        later.push({ el: res.message, gc, stamp });
        continue;
      }
      const r = roomMessageRow({
        accountId: this.ctx.accountId, ownBare: this.ctx.jid, el: res.message, gc, ourNick: view.nick,
        occupant: view.occupant(gc.nick), source: 'archive', stamp, archiveId: res.archiveId,
      });
      if (r.ok) rows.push(r.row);
    }
    let fresh = 0;
    // Messages deleted for this account ("delete for me") are not brought back by the room's archive.
    const gone = rows.length > 0 ? await this.ctx.stores.mutations.forgotten(this.ctx.accountId, rows) : new Set<number>();
    if (gone.size > 0) rows.splice(0, rows.length, ...rows.filter((_, i) => !gone.has(i)));
    if (rows.length > 0) {
      const stored = await this.ctx.stores.messages.insertMany(rows, older ? await this.belowOldest(room, rows.length) : await this.aboveNewest(room));
      for (let i = 0; i < stored.length; i++) {
        const { row, inserted } = stored[i]!;
        if (!inserted) {
          await this.reflected(row, rows[i]!);
          continue;
        }
        fresh++;
        this.ctx.emit('message', { message: toMessageDTO(row) });
      }
    }
    for (const m of later) {
      if (!m.gc) {
        const moderation = parseModeration(m.el);
        if (moderation) await this.mutations.moderate(moderation, m.stamp);
        continue;
      }
      await this.mutations.apply(view, m.el, m.gc, view.occupant(m.gc.nick!), 'archive', m.stamp);
    }
    return fresh;
  }

  /** Catch-up: archive order kept above what we hold (whole-second archive stamps; see archiveOrder). */
  private async aboveNewest(room: string): Promise<BatchStamp> {
    const anchor = await this.ctx.stores.messages.roomEdge(this.ctx.accountId, room, 'newest');
    return archiveOrder(anchor?.stamp ?? null).stamp;
  }

  /**
   * Older pages: the archive's whole-second stamps may equal our oldest row's, and a row written later sorts after it
   * on equal stamps; so each result goes strictly before the oldest we hold, in archive order (a millisecond apart).
   */
  private async belowOldest(room: string, n: number): Promise<BatchStamp> {
    const oldest = await this.ctx.stores.messages.edgeStamp(this.ctx.accountId, room, 'oldest');
    let i = 0;
    return (msg) => {
      const ceiling = oldest ? oldest.getTime() - (n - i++) : Infinity;
      return msg.stamp.getTime() < ceiling ? msg.stamp : new Date(ceiling);
    };
  }

  // --- sending ------------------------------------------------------------------------------------------------

  async send(cmd: SendRequest): Promise<MessageDTO> {
    const j = parseJid(cmd.to);
    const view = j ? this.registry.get(j.bare) : undefined;
    if (!j || !view) throw new CommandError('not in that room');
    if (j.resource) return this.sendPm(cmd, view, j.resource);
    const { stanza, parsed } = this.compose(cmd, view.jid, await this.replyTarget(view.jid, cmd), 'groupchat');
    const { row, inserted } = await this.ctx.stores.messages.insert(
      outgoingRow(this.ctx.accountId, cmd, parsed, { peer: view.jid, fromJid: `${view.jid}/${view.nick}`, type: 'groupchat', nick: view.nick, senderJid: this.ctx.jid }),
    );
    if (!inserted) return toMessageDTO(row);
    this.ctx.emit('message', { message: toMessageDTO(row) });
    // Stays 'pending' until the room reflects it (then 'sent', with the room's stanza-id); not joined: sent on join.
    if (view.state === 'joined' && this.ctx.conn.state === 'online') this.ctx.conn.send(stanza).catch((err: unknown) => this.ctx.log.warn({ err }, 'room message not sent yet'));
    return toMessageDTO(row);
  }

  private async sendPm(cmd: SendRequest, view: RoomView, nick: string): Promise<MessageDTO> {
    if (!validNick(nick)) throw new CommandError('not a nickname');
    const peer = `${view.jid}/${nick}`;
    const { stanza, parsed } = this.compose(cmd, peer, await this.replyTarget(peer, cmd), 'chat');
    const { row, inserted } = await this.ctx.stores.messages.insert(
      outgoingRow(this.ctx.accountId, cmd, parsed, { peer, fromJid: this.ctx.conn.jid ?? this.ctx.jid, type: 'chat', nick }),
    );
    if (!inserted) return toMessageDTO(row);
    this.ctx.emit('message', { message: toMessageDTO(row) });
    if (view.state === 'joined' && this.ctx.conn.state === 'online') this.transmitPm(row, stanza);
    return toMessageDTO(row);
  }

  private transmitPm(row: MessageRow, stanza: Element): void {
    // No reflection for private messages: the server's acknowledgement (XEP-0198) makes it 'sent'.
    this.ctx.conn
      .sendAcked(stanza)
      .then(async () => {
        const updated = await this.ctx.stores.messages.updateState(this.ctx.accountId, row.id, 'sent', ['pending']);
        if (updated) this.ctx.emit('message', { message: toMessageDTO(updated) });
      })
      .catch((err: unknown) => this.ctx.log.warn({ err, id: row.id }, 'private message not acknowledged yet'));
  }

  /** The stanza for a room (type groupchat, to the room) or an occupant (type chat, with the MUC-PM marker). */
  private compose(cmd: SendRequest, to: string, reply: { id: string; to: string } | null, type: 'groupchat' | 'chat') {
    const encrypted = cmd.encrypted === undefined ? undefined : parseEncrypted(cmd.encrypted);
    const body = cmd.file ? cmd.file.url : cmd.body;
    if (body !== undefined && body.length > MAX_BODY_CHARS) throw new CommandError('message too long');
    const stanza = buildChatMessage({
      to, id: cmd.originId, originId: cmd.originId, body, encrypted, oobUrl: cmd.file?.url,
      extra: reply ? buildReply(reply, cmd.replyTo!.fallbackLength) : undefined,
    });
    const parsed = parseChatMessage(stanza, this.ctx.jid);
    if (!parsed) throw new CommandError('nothing to send');
    if (cmd.file && !parsed.attachment) throw new CommandError('the upload service gave an unusable file URL');
    return { stanza: type === 'groupchat' ? asGroupchat(stanza) : asMucPm(stanza), parsed };
  }

  /** XEP-0461 in a room: the target's room stanza-id (else its id) and its author's occupant JID. */
  private async replyTarget(peer: string, cmd: SendRequest): Promise<{ id: string; to: string } | null> {
    if (!cmd.replyTo) return null;
    const target = await this.ctx.stores.messages.byId(this.ctx.accountId, cmd.replyTo.id);
    if (!target || target.peer !== peer) throw new CommandError('no such message in this conversation to reply to');
    const id = roomTargetId(target);
    if (!id) throw new CommandError('this message cannot be replied to (it has no id)');
    if (cmd.encrypted === undefined && cmd.replyTo.fallbackLength > codePoints(cmd.body ?? '')) throw new CommandError('the reply fallback is longer than the body');
    return { id, to: target.fromJid };
  }

  /** Our messages to the room and its occupants written while we were not in it, sent once we are (oldest first). */
  private async flushPending(room: string): Promise<void> {
    const view = this.registry.get(room);
    if (!view || view.state !== 'joined') return;
    for (const row of await this.ctx.stores.messages.pendingInRoom(this.ctx.accountId, room)) {
      const encrypted = row.encrypted ? parseEncrypted(row.encrypted) : undefined;
      const stanza = buildChatMessage({
        to: row.peer, id: row.messageId ?? row.originId ?? row.id, originId: row.originId ?? row.id,
        body: encrypted ? undefined : row.body ?? undefined, encrypted, oobUrl: encrypted ? undefined : row.attachmentUrl ?? undefined,
        extra: row.replyToId ? buildReply({ id: row.replyToId, to: row.replyToJid ?? room }, row.replyFallbackStart === 0 ? row.replyFallbackEnd ?? 0 : 0) : undefined,
      });
      if (row.type === 'groupchat') await this.ctx.conn.send(asGroupchat(stanza)).catch((err: unknown) => this.ctx.log.warn({ err }, 'room message not sent yet'));
      else this.transmitPm(row, asMucPm(stanza));
    }
  }
}

/**
 * parseGroupchat reads messages with content; a reaction has none (XEP-0444: no body), yet its sender, ids and room
 * are read the same way: parsed as if it had an empty body (never stored as a message: RoomMutations takes it).
 */
function groupchatOf(el: Element, now: Date): GroupchatMessage | null {
  const gc = parseGroupchat(el, now);
  if (gc || !el.getChild('reactions', NS_REACTIONS) || el.getChild('body')) return gc;
  const copy = parseXml(el.toString()) as unknown as Element;
  copy.c('body');
  return parseGroupchat(copy, now);
}

