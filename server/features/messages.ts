/**
 * One-to-one messages: every message in or out is written to PostgreSQL first (the server is the
 * single writer of history), then fanned out to the tabs. Outgoing messages are stored as 'pending'
 * before they leave, and become 'sent' when the XMPP server acknowledges them (XEP-0198).
 */
import type { Element } from '@xmpp/xml';
import parseXml from 'ltx/lib/parse.js';
import type { SessionContext } from './context.js';
import type { MessageDTO } from '../realtime/contract.js';
import { NS } from '../stanza/ns.js';
import { buildChatMessage, parseChatMessage, type ChatMessage } from '../stanza/message.js';
import type { MessageRow } from '../store/messages.js';

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
    state: row.state,
    originId: row.originId,
    stanzaId: row.stanzaId,
  } as MessageDTO;
}

export class CommandError extends Error {}

export class Messages {
  constructor(private readonly ctx: SessionContext) {}

  /** Stores an inbound (or carbon-copied) chat message once and tells the tabs. */
  async receive(el: Element): Promise<void> {
    const msg = parseChatMessage(el, this.ctx.jid);
    if (!msg) return;
    await this.store(msg, msg.direction === 'in' ? 'received' : 'sent');
  }

  async store(msg: ChatMessage, state: MessageRow['state']): Promise<MessageRow> {
    const { row, inserted } = await this.ctx.stores.messages.insert({
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
      stamp: msg.stamp,
      state,
    });
    if (inserted) this.ctx.emit('message', { message: toMessageDTO(row) });
    return row;
  }

  /** Sends a message typed in a tab. Idempotent per originId: a retried command returns the stored message. */
  async send(cmd: { to: string; body?: string; encrypted?: string; originId: string }): Promise<MessageDTO> {
    const encrypted = cmd.encrypted === undefined ? undefined : parseEncrypted(cmd.encrypted);
    const stanza = buildChatMessage({ to: cmd.to, id: cmd.originId, originId: cmd.originId, body: cmd.body, encrypted });
    const parsed = parseChatMessage(stanza, this.ctx.jid);
    if (!parsed) throw new CommandError('nothing to send');
    const { row, inserted } = await this.ctx.stores.messages.insert({
      accountId: this.ctx.accountId,
      peer: cmd.to,
      direction: 'out',
      fromJid: this.ctx.conn.jid,
      toJid: cmd.to,
      type: 'chat',
      body: parsed.body,
      encrypted: parsed.encrypted,
      messageId: cmd.originId,
      originId: cmd.originId,
      stanzaId: null,
      stamp: new Date(),
      state: 'pending',
    });
    if (!inserted) return toMessageDTO(row);
    this.ctx.emit('message', { message: toMessageDTO(row) });
    void this.transmit(row, stanza);
    return toMessageDTO(row);
  }

  private async transmit(row: MessageRow, stanza: Element): Promise<void> {
    try {
      await this.ctx.conn.sendAcked(stanza);
      await this.setState(row, 'sent');
    } catch (err) {
      // Stays 'pending': the outbox is sent again when the session comes back.
      this.ctx.log.warn({ err, id: row.id }, 'message not acknowledged yet');
    }
  }

  private async setState(row: MessageRow, state: MessageRow['state']): Promise<void> {
    const updated = await this.ctx.stores.messages.updateState(this.ctx.accountId, row.id, state);
    if (updated) this.ctx.emit('message', { message: toMessageDTO(updated) });
  }

  /** Sends every message still pending (after a restart or a new XMPP session). */
  async flushOutbox(): Promise<void> {
    for (const row of await this.ctx.stores.messages.pendingOutbox(this.ctx.accountId)) {
      const encrypted = row.encrypted ? parseEncrypted(row.encrypted) : undefined;
      const stanza = buildChatMessage({
        to: row.peer,
        id: row.messageId ?? row.originId ?? row.id,
        originId: row.originId ?? row.id,
        body: encrypted ? undefined : row.body ?? undefined,
        encrypted,
      });
      void this.transmit(row, stanza);
    }
  }

  async history(peer: string, before: { stamp: string; id: string } | undefined, limit: number): Promise<{ messages: MessageDTO[]; hasMore: boolean }> {
    const rows = await this.ctx.stores.messages.page(this.ctx.accountId, peer, {
      before: before ? { stamp: new Date(before.stamp), id: before.id } : undefined,
      limit: limit + 1,
    });
    return { messages: rows.slice(0, limit).map(toMessageDTO), hasMore: rows.length > limit };
  }
}

/** The tab hands us a finished OMEMO element; accept exactly that and nothing else. */
function parseEncrypted(xmlText: string): Element {
  let el: Element;
  try {
    el = parseXml(xmlText);
  } catch {
    throw new CommandError('encrypted payload is not well-formed XML');
  }
  if (el.name !== 'encrypted' || el.attrs.xmlns !== NS.omemo) throw new CommandError(`encrypted payload must be <encrypted xmlns='${NS.omemo}'>`);
  return el;
}
