/**
 * One-to-one messages: every message in or out is written to PostgreSQL first (the server is the
 * single writer of history), then fanned out to the tabs. Outgoing messages are stored as 'pending'
 * before they leave, and become 'sent' when the XMPP server acknowledges them (XEP-0198).
 */
import type { Element } from '@xmpp/xml';
import parseXml from 'ltx/lib/parse.js';
import type { SessionContext } from './context.js';
import type { MessageDTO, ReactionsDTO } from '../realtime/contract.js';
import { buildReply, codePoints, type ReplyRef } from '../stanza/reply.js';
import { reactionsOfPage } from './reactions.js';
import { NS } from '../stanza/ns.js';
import { buildChatMessage, orderStamp, parseChatMessage, type ChatMessage } from '../stanza/message.js';
import { buildReceipt, wantsReceipt, type Acknowledgement } from '../stanza/receipts.js';
import { ReadMarks } from './read-marks.js';
import { bareOf } from '../stanza/jid.js';
import type { BatchStamp, InsertResult, MessageRow, NewMessage } from '../store/messages.js';
import type { Attachment } from '../stanza/oob.js';
import { mutationFields } from './mutation-fields.js';

const NOTHING = (): void => undefined;

/**
 * Sent messages whose receipts are answered without a look-up (a receipt names our origin-id; the row is known
 * from the send). Small: receipts come back within moments; an older one takes the look-up.
 */
const RECENTLY_SENT = 64;
const sentKey = (peer: string, originId: string) => `${peer}\n${originId}`;

export function toMessageDTO(row: MessageRow): MessageDTO {
  return {
    id: row.id,
    peer: row.peer,
    direction: row.direction,
    from: row.fromJid,
    to: row.toJid,
    body: row.body,
    encrypted: row.encrypted,
    stamp: row.stamp.toISOString(),
    ...(row.claimedStamp ? { claimedStamp: row.claimedStamp.toISOString() } : {}),
    state: row.state,
    originId: row.originId,
    stanzaId: row.stanzaId,
    ...(row.attachmentUrl ? { attachment: attachmentDTO(row) } : {}),
    ...mutationFields(row),
    ...(row.messageId && row.messageId !== row.originId ? { messageId: row.messageId } : {}),
    ...(row.replyToId ? { reply: replyDTO(row) } : {}),
    ...roomFields(row),
  } as MessageDTO;
}

/** The group chat fields (room messages and MUC-PMs): absent on one-to-one messages. */
function roomFields(row: MessageRow): Partial<MessageDTO> {
  return {
    ...(row.nick ? { nick: row.nick } : {}),
    ...(row.senderJid ? { senderJid: row.senderJid } : {}),
    ...(row.mentionsMe ? { mentionsMe: true } : {}),
    ...(row.moderatedAt ? { moderated: { by: row.moderatedBy ?? null, reason: row.moderationReason ?? null } } : {}),
  };
}

function replyDTO(row: MessageRow): NonNullable<MessageDTO['reply']> {
  const { replyFallbackStart: start, replyFallbackEnd: end } = row;
  return { id: row.replyToId!, to: row.replyToJid, ...(start !== null && end !== null ? { fallback: { start, end } } : {}) };
}

function replyColumns(r: ReplyRef | null) {
  return { replyToId: r?.id ?? null, replyToJid: r?.to ?? null, replyFallbackStart: r?.fallback?.start ?? null, replyFallbackEnd: r?.fallback?.end ?? null };
}

function attachmentDTO(row: MessageRow): NonNullable<MessageDTO['attachment']> {
  const size = row.attachmentSize === null ? NaN : Number(row.attachmentSize);
  return {
    url: row.attachmentUrl!,
    name: row.attachmentName ?? 'file',
    ...(Number.isSafeInteger(size) ? { size } : {}),
    ...(row.attachmentType ? { type: row.attachmentType } : {}),
  };
}

/** The attachment columns of a parsed message (size and type only when we know them: our own uploads). */
function attachmentColumns(a: Attachment | null, known?: { size: number; type: string }) {
  return {
    attachmentUrl: a?.url ?? null,
    attachmentName: a?.name ?? null,
    attachmentSize: a && known ? String(known.size) : null,
    attachmentType: a && known ? known.type : null,
  };
}

/** The row of a message a tab sends, wherever it goes: 'pending' until acknowledged (in a room: until reflected). */
export function outgoingRow(
  accountId: string,
  cmd: SendRequest,
  parsed: ChatMessage,
  where: { peer: string; fromJid: NewMessage['fromJid']; type: string; nick?: string; senderJid?: string },
): NewMessage {
  return {
    accountId,
    peer: where.peer,
    direction: 'out',
    fromJid: where.fromJid,
    toJid: where.peer,
    type: where.type,
    body: parsed.body,
    encrypted: parsed.encrypted,
    messageId: cmd.originId,
    originId: cmd.originId,
    stanzaId: null,
    ...attachmentColumns(parsed.attachment, cmd.file),
    ...replyColumns(parsed.reply),
    stamp: new Date(),
    state: 'pending',
    ...(where.nick ? { nick: where.nick } : {}),
    ...(where.senderJid ? { senderJid: where.senderJid } : {}),
  };
}

/** What `send` takes: a typed message (validated command) or a file the server uploaded for the tab. */
export interface SendRequest {
  to: string;
  body?: string;
  encrypted?: string;
  originId: string;
  /** An uploaded file (XEP-0363): sent as XEP-0066 OOB with the body = its URL. */
  file?: { url: string; size: number; type: string };
  /** A reply (XEP-0461) to this message row; the body (or the plaintext inside `encrypted`) starts with its fallback. */
  replyTo?: { id: string; fallbackLength: number };
}

export class CommandError extends Error {}

const FLUSH_RETRY_MS = 2000;
/**
 * How long after a new XMPP session starts its stanzas count as the server's offline burst (XEP-0160: offline
 * messages are flushed right after the initial presence). Generous for a loaded server; a contact who reacts to our
 * presence within it could still pass off a forged server delay, but only for that short window.
 */
const OFFLINE_BURST_MS = 30_000;

/** Progress of an outgoing message; 'received' (incoming) never appears on outgoing rows. */
const STATE_RANK: Record<MessageRow['state'], number> = { failed: 0, pending: 1, sent: 2, received: -1, delivered: 3, displayed: 4 };

/** Fetches older history from the XMPP archive when the database has no more (see ArchiveSync.older). */
export type OlderFromArchive = (peer: string, before: Date) => Promise<{ stored: number; complete: boolean }>;

/**
 * Conversations in rooms (peer = a room's bare JID) and MUC-PMs (peer = room/nick) are sent, re-sent and paged
 * by the rooms feature (server/features/rooms/history.ts), which plugs itself in here.
 */
export interface RoomConversations {
  /** A room we know, or an occupant JID of one: its messages go through the room. */
  owns(peer: string): boolean;
  send(cmd: SendRequest): Promise<MessageDTO>;
  /** Older messages from the room's archive (MUC-PMs: from our own, like direct chats: null). */
  older(peer: string, before: Date): Promise<{ stored: number; complete: boolean }> | null;
}

/** Rows the rooms feature sends itself (when joined): never rebuilt as one-to-one messages by the outbox. */
export const isRoomRow = (row: Pick<MessageRow, 'type' | 'peer'>) => row.type === 'groupchat' || row.peer.includes('/');

export class Messages {
  /** Set by the rooms feature (RoomHistory). */
  rooms: RoomConversations | null = null;
  /** Conversations whose archive has been paged to its start: no more MAM queries for them. */
  private readonly archiveExhausted = new Set<string>();
  olderFromArchive: OlderFromArchive | null = null;
  /** Drops messages deleted for this account ("delete for me") before an archive page or a redelivery is stored. */
  withoutForgotten: ((msgs: ChatMessage[]) => Promise<ChatMessage[]>) | null = null;
  /** Outgoing rows handed to the connection and not yet acknowledged. */
  private readonly inFlight = new Set<string>();
  private outboxOpen = true;
  private flushing: Promise<void> = Promise.resolve();
  private flushRetry: NodeJS.Timeout | null = null;

  /** When the current XMPP session started (not resumed): see OFFLINE_BURST_MS. */
  private sessionStartedAt = Date.now();
  private readonly readMarks: ReadMarks;
  /** Our latest sent messages by (peer, origin-id) -> row, oldest first (see rememberSent). */
  private readonly recentlySent = new Map<string, { id: string }>();

  constructor(private readonly ctx: SessionContext) {
    this.readMarks = new ReadMarks(ctx);
    ctx.conn.on('online', ({ resumed }: { resumed: boolean }) => {
      if (!resumed) this.sessionStartedAt = Date.now();
    });
  }

  /**
   * Stores an inbound chat message once and tells the tabs. `live` = addressed to us right now (not a carbon):
   * only then do we answer a receipt request, since a carbon's receipt is its own client's job.
   */
  async receive(el: Element, live: boolean, receivedAt = new Date()): Promise<void> {
    (await this.storeReceived(el, live, receivedAt))();
  }

  /**
   * `receive` in two steps, for the inbound pipeline: stores the message; the function it resolves with tells the tabs
   * and answers a receipt request (the pipeline calls it in arrival order).
   */
  async storeReceived(el: Element, live: boolean, receivedAt = new Date()): Promise<() => void> {
    const msg = parseChatMessage(el, this.ctx.jid, receivedAt);
    if (!msg || this.isRoomTraffic(msg, el)) return NOTHING;
    const offlineBurst = receivedAt.getTime() - this.sessionStartedAt < OFFLINE_BURST_MS;
    const { stamp, claimedStamp } = orderStamp(msg.delay, receivedAt, offlineBurst);
    if (claimedStamp) this.ctx.log.debug({ peer: msg.peer, claimed: claimedStamp.toISOString() }, 'delay stamp not believed: ordered by arrival');
    msg.stamp = stamp.getTime() !== receivedAt.getTime() ? await this.keepOrderWithin(msg.peer, stamp) : stamp;
    // Only a delayed message can be one deleted for us before (offline storage delivering it again).
    if (msg.delay && this.withoutForgotten && (await this.withoutForgotten([msg])).length === 0) return NOTHING;
    const state = msg.direction === 'in' ? 'received' : 'sent';
    const { row, inserted } = await this.ctx.stores.messages.insert({ ...this.toNewMessage(msg, state), claimedStamp });
    return () => {
      if (inserted) this.ctx.emit('message', { message: toMessageDTO(row) });
      if (live && msg.direction === 'in' && wantsReceipt(el) && msg.messageId) {
        // Not awaited: while the connection is down the receipt waits in its queue, the next message must not.
        this.ctx.conn.send(buildReceipt(msg.from, msg.messageId)).catch(() => undefined);
      }
    };
  }

  /**
   * A delay stamp (XEP-0203; offline delivery) often has whole seconds only: "12:00:18" means some time in that second.
   * A message stored earlier with "12:00:18.733" came first, yet would sort after it; within that second, this
   * message goes after what we hold, as the archive orders them.
   */
  private async keepOrderWithin(peer: string, stamp: Date): Promise<Date> {
    if (stamp.getUTCMilliseconds() !== 0) return stamp;
    const [newest] = await this.ctx.stores.messages.page(this.ctx.accountId, peer, { limit: 1 });
    const gap = newest ? newest.stamp.getTime() - stamp.getTime() : -1;
    return gap > 0 && gap < 1000 ? newest!.stamp : stamp;
  }

  /** A receipt or marker. From a peer: our message was delivered/displayed. From ourselves (carbon): we read theirs elsewhere. */
  async acknowledge(from: string, to: string, ack: Acknowledgement): Promise<void> {
    const fromBare = bareOf(from);
    const toBare = bareOf(to);
    if (!fromBare || !toBare) return;
    if (fromBare === this.ctx.jid) {
      if (ack.kind === 'displayed') await this.markRead(toBare, ack.id, false);
      return;
    }
    const state = ack.kind === 'received' ? 'delivered' : 'displayed';
    const key = sentKey(fromBare, ack.id);
    const sent = this.recentlySent.get(key);
    if (sent) {
      if (state === 'displayed') this.recentlySent.delete(key);
      return this.setState(sent, state);
    }
    const row = await this.ctx.stores.messages.findByMessageId(this.ctx.accountId, fromBare, ack.id);
    if (!row || row.direction !== 'out') return;
    await this.setState(row, state);
  }

  /** Remembers a message just sent, so that its receipt and marker need no look-up. */
  private rememberSent(row: MessageRow): void {
    if (!row.originId) return;
    if (this.recentlySent.size >= RECENTLY_SENT) this.recentlySent.delete(this.recentlySent.keys().next().value!);
    this.recentlySent.set(sentKey(row.peer, row.originId), { id: row.id });
  }

  /** An error bounce for one of our messages (RFC 6120 §8.3): unknown recipient, blocked, too large... */
  async bounced(el: Element): Promise<void> {
    const from = bareOf(el.attrs.from);
    const id = el.attrs.id;
    if (!from || typeof id !== 'string') return;
    const row = await this.ctx.stores.messages.findByMessageId(this.ctx.accountId, from, id);
    if (!row || row.direction !== 'out') return;
    const updated = await this.ctx.stores.messages.updateState(this.ctx.accountId, row.id, 'failed', ['pending', 'sent']);
    if (updated) this.ctx.emit('message', { message: toMessageDTO(updated) });
  }

  /** A tab displayed a conversation up to message `id`: mark read everywhere, tell the peer (XEP-0333). */
  async markDisplayed(peer: string, id: string): Promise<void> {
    const row = await this.ctx.stores.messages.byId(this.ctx.accountId, id);
    if (!row || row.peer !== peer) throw new CommandError('no such message in this conversation');
    await this.markRead(peer, row.messageId ?? row.originId ?? '', true, row);
  }

  /** Marks read up to the message a tab showed, or that a carbon of our own marker names (coalesced: ReadMarks). */
  private async markRead(peer: string, messageId: string, notifyPeer: boolean, known?: MessageRow): Promise<void> {
    const row = known ?? (messageId ? await this.ctx.stores.messages.findByMessageId(this.ctx.accountId, peer, messageId) : null);
    if (!row) return;
    await this.readMarks.mark(peer, row, notifyPeer);
  }

  async store(msg: ChatMessage, state: MessageRow['state'], claimedStamp: Date | null = null): Promise<InsertResult> {
    const { row, inserted } = await this.ctx.stores.messages.insert({ ...this.toNewMessage(msg, state), claimedStamp });
    if (inserted) this.ctx.emit('message', { message: toMessageDTO(row) });
    return { row, inserted };
  }

  /**
   * Stores a batch of received or archived messages (a MAM page) like `store` does one by one, in a few round trips
   * (MessageStore.insertMany); the tabs hear of the new ones in batch order.
   */
  async storeMany(all: readonly ChatMessage[], stamp?: BatchStamp): Promise<InsertResult[]> {
    const direct = all.filter((m) => !this.isRoomTraffic(m));
    const msgs = this.withoutForgotten ? await this.withoutForgotten(direct) : direct;
    const results = await this.ctx.stores.messages.insertMany(
      msgs.map((msg) => this.toNewMessage(msg, msg.direction === 'in' ? 'received' : 'sent')),
      stamp,
    );
    for (const { row, inserted } of results) if (inserted) this.ctx.emit('message', { message: toMessageDTO(row) });
    return results;
  }

  /**
   * A MUC-PM (or anything else from a room we are in) is never a one-to-one message with the room's bare JID: the rooms
   * feature stores PMs under the occupant's full JID. Marked PMs (the muc#user element) are refused even from rooms
   * we are not in any more.
   */
  private isRoomTraffic(msg: ChatMessage, el?: Element): boolean {
    if (this.rooms?.owns(msg.peer)) return true;
    const x = el?.getChild('x', 'http://jabber.org/protocol/muc#user');
    return !!x && !x.getChild('invite') && !x.getChild('decline');
  }

  private toNewMessage(msg: ChatMessage, state: MessageRow['state']): NewMessage {
    return {
      accountId: this.ctx.accountId,
      peer: msg.peer,
      direction: msg.direction,
      fromJid: msg.from,
      toJid: msg.to,
      type: msg.type,
      body: msg.body,
      encrypted: msg.encrypted,
      messageId: msg.messageId,
      originId: msg.originId,
      stanzaId: msg.stanzaId,
      ...attachmentColumns(msg.attachment),
      ...replyColumns(msg.reply),
      stamp: msg.stamp,
      state,
    };
  }

  /** Sends a message typed in a tab. Idempotent per originId: a retried command returns the stored message. */
  async send(cmd: SendRequest): Promise<MessageDTO> {
    if (this.rooms?.owns(cmd.to)) return this.rooms.send(cmd);
    // An occupant JID of a room we are not in: never sent as a one-to-one message to the room's bare JID.
    if (cmd.to.includes('/')) throw new CommandError('not in that room: join it to write to its occupants');
    const encrypted = cmd.encrypted === undefined ? undefined : parseEncrypted(cmd.encrypted);
    const body = cmd.file ? cmd.file.url : cmd.body;
    const reply = cmd.replyTo ? await this.replyTarget(cmd.to, cmd.replyTo, encrypted ? null : body ?? '') : null;
    const stanza = buildChatMessage({
      to: cmd.to, id: cmd.originId, originId: cmd.originId, body, encrypted, oobUrl: cmd.file?.url,
      extra: reply ? buildReply(reply, cmd.replyTo!.fallbackLength) : undefined,
    });
    const parsed = parseChatMessage(stanza, this.ctx.jid);
    if (!parsed) throw new CommandError('nothing to send');
    if (cmd.file && !parsed.attachment) throw new CommandError('the upload service gave an unusable file URL');
    const { row, inserted } = await this.ctx.stores.messages.insert(outgoingRow(this.ctx.accountId, cmd, parsed, { peer: cmd.to, fromJid: this.ctx.conn.jid, type: 'chat' }));
    if (!inserted) return toMessageDTO(row);
    this.rememberSent(row);
    this.ctx.emit('message', { message: toMessageDTO(row) });
    // While the outbox is closed (connection down, or older messages still to be re-sent) the row waits
    // as 'pending' and flushOutbox sends it in its turn: messages leave in the order they were written.
    if (this.outboxOpen && this.ctx.conn.state === 'online') this.transmit(row, stanza);
    else void this.flushOutbox();
    return toMessageDTO(row);
  }

  /**
   * What a reply names (XEP-0461 §3): the target's id attribute (origin-id for ours) and its author's full JID. A
   * plain body must really start with a fallback that long; an encrypted one cannot be checked here.
   */
  private async replyTarget(peer: string, replyTo: { id: string; fallbackLength: number }, plainBody: string | null): Promise<{ id: string; to: string }> {
    const target = await this.ctx.stores.messages.byId(this.ctx.accountId, replyTo.id);
    if (!target || target.peer !== peer) throw new CommandError('no such message in this conversation to reply to');
    const id = target.messageId ?? target.originId;
    if (!id) throw new CommandError('this message cannot be replied to (it has no id)');
    if (plainBody !== null && replyTo.fallbackLength > codePoints(plainBody)) throw new CommandError('the reply fallback is longer than the body');
    return { id, to: target.fromJid };
  }

  private transmit(row: MessageRow, stanza: Element): void {
    this.inFlight.add(row.id);
    this.ctx.conn
      .sendAcked(stanza)
      .then(() => this.setState(row, 'sent'))
      .catch((err: unknown) => {
        // Stays 'pending': the outbox is sent again when the session comes back.
        this.ctx.log.warn({ err, id: row.id }, 'message not acknowledged yet');
      })
      .finally(() => this.inFlight.delete(row.id));
  }

  /** The connection went down: new messages wait in the outbox until flushOutbox has sent the older ones. */
  closeOutbox(): void {
    this.outboxOpen = false;
  }

  /** Moves an outgoing message forward (pending -> sent -> delivered -> displayed), never back. */
  private async setState(row: Pick<MessageRow, 'id'>, state: MessageRow['state']): Promise<void> {
    const earlier = (Object.keys(STATE_RANK) as MessageRow['state'][]).filter((s) => STATE_RANK[s] < STATE_RANK[state]);
    const updated = await this.ctx.stores.messages.updateState(this.ctx.accountId, row.id, state, earlier);
    if (updated) this.ctx.emit('message', { message: toMessageDTO(updated) });
  }

  /**
   * Sends every message still pending (after a restart, a resumption or a new XMPP session), oldest first,
   * then reopens the outbox. Messages written meanwhile are picked up by the next round.
   */
  flushOutbox(): Promise<void> {
    // Rounds never overlap; a call during a round queues one more, so no row written meanwhile is stranded.
    this.flushing = this.flushing
      .then(() => this.flushRounds())
      .catch((err: unknown) => {
        // The database may be down: try again later, or nothing would send the outbox until the next message.
        this.ctx.log.error({ err }, 'outbox flush failed; retrying');
        if (this.flushRetry) return;
        this.flushRetry = setTimeout(() => {
          this.flushRetry = null;
          void this.flushOutbox();
        }, FLUSH_RETRY_MS);
        this.flushRetry.unref();
      });
    return this.flushing;
  }

  private async flushRounds(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      if (this.ctx.conn.state !== 'online') return; // the next 'online' flushes again
      // Room messages wait for their room's join (RoomHistory sends them), whatever the connection does.
      const rows = (await this.ctx.stores.messages.pendingOutbox(this.ctx.accountId)).filter((r) => !this.inFlight.has(r.id) && !isRoomRow(r));
      if (rows.length === 0) {
        this.outboxOpen = true;
        return;
      }
      for (const row of rows) this.transmitStored(row);
    }
  }

  private transmitStored(row: MessageRow): void {
    const encrypted = row.encrypted ? parseEncrypted(row.encrypted) : undefined;
    const stanza = buildChatMessage({
      to: row.peer,
      id: row.messageId ?? row.originId ?? row.id,
      originId: row.originId ?? row.id,
      body: encrypted ? undefined : row.body ?? undefined,
      encrypted,
      oobUrl: encrypted ? undefined : row.attachmentUrl ?? undefined,
      extra: row.replyToId
        ? buildReply({ id: row.replyToId, to: row.replyToJid ?? row.peer }, row.replyFallbackStart === 0 ? row.replyFallbackEnd ?? 0 : 0)
        : undefined,
    });
    this.transmit(row, stanza);
  }

  async history(peer: string, before: { stamp: string; id: string } | undefined, limit: number): Promise<{ messages: MessageDTO[]; hasMore: boolean }> {
    const cursor = before ? { stamp: new Date(before.stamp), id: before.id } : undefined;
    let rows = await this.ctx.stores.messages.page(this.ctx.accountId, peer, { before: cursor, limit: limit + 1 });
    const room = this.rooms?.owns(peer) ?? false;
    const older: OlderFromArchive | null = room ? (p, b) => this.rooms!.older(p, b) ?? Promise.resolve({ stored: 0, complete: true }) : this.olderFromArchive;
    if (rows.length <= limit && older && !this.archiveExhausted.has(peer)) {
      // The database has no more: ask the archive (ours, or the room's) for what came before, then read again.
      const oldest = rows.at(-1)?.stamp ?? cursor?.stamp ?? new Date();
      const { stored, complete } = await older(peer, oldest);
      // Nothing new in the archive's newest page before our oldest message: we hold that history already
      // (its whole-second stamps overlap ours), so the archive has nothing older for us either.
      const exhausted = complete || stored === 0;
      if (exhausted) this.archiveExhausted.add(peer);
      rows = await this.ctx.stores.messages.page(this.ctx.accountId, peer, { before: cursor, limit: limit + 1 });
      if (rows.length > 0 && rows.length <= limit && !exhausted) return this.withReactions(peer, rows, true);
    }
    return this.withReactions(peer, rows.slice(0, limit), rows.length > limit);
  }

  /** A history page with the reactions to its messages (XEP-0444; server/features/reactions.ts). */
  private async withReactions(peer: string, rows: MessageRow[], hasMore: boolean): Promise<{ messages: MessageDTO[]; hasMore: boolean; reactions: ReactionsDTO[] }> {
    const reactions = rows.length ? await reactionsOfPage(this.ctx.stores.reactions, peer, rows.map((r) => r.id)) : [];
    return { messages: rows.map(toMessageDTO), hasMore, reactions };
  }
}

/** The tab hands us a finished OMEMO element; accept exactly that and nothing else. */
export function parseEncrypted(xmlText: string): Element {
  let el: Element;
  try {
    el = parseXml(xmlText);
  } catch {
    throw new CommandError('encrypted payload is not well-formed XML');
  }
  if (el.name !== 'encrypted' || el.attrs.xmlns !== NS.omemo) throw new CommandError(`encrypted payload must be <encrypted xmlns='${NS.omemo}'>`);
  return el;
}
