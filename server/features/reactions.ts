/**
 * Reactions (XEP-0444) in one-to-one chat. A reaction stanza is never a message of its own: it names a message of
 * the conversation by its id attribute (or origin-id) and carries the sender's whole set, which replaces what that
 * sender had (server/store/reactions.ts keeps the newest). The same handling for live stanzas, carbons of our other
 * clients and archive pages. The reactor is the stanza's `from` (set by the servers), and the target must be in the
 * conversation with that sender: a contact can only react to messages of its own conversation with us, and a
 * reaction naming an id we do not have is dropped (nothing stored).
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { ReactionsDTO } from '../realtime/contract.js';
import { buildReactions, isReactionEmoji, MAX_REACTIONS, NS_REACTIONS, parseReactions } from '../stanza/reactions.js';
import { bareOf } from '../stanza/jid.js';
import type { ReactionRow } from '../store/reactions.js';
import { CommandError } from './messages.js';
import { asGroupchat, roomTargetId } from './rooms/room-stanza.js';

/** How often, at most, the tabs hear of received reaction changes to one message. */
const ANNOUNCE_MS = 50;

export class Reactions {
  private readonly dirty = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: SessionContext) {}

  /**
   * Applies the reaction in a received message (live, carbon, or from our archive at `stamp`). Returns false when the
   * stanza carries no reactions (it is then an ordinary message), true when it did, applied or not.
   */
  async receive(el: Element, stamp: Date): Promise<boolean> {
    if (!el.getChild('reactions', NS_REACTIONS)) return false;
    const type = el.attrs.type ?? 'normal';
    if (type !== 'chat' && type !== 'normal') return true;
    const set = parseReactions(el);
    const from = bareOf(el.attrs.from ?? this.ctx.jid);
    const to = bareOf(el.attrs.to ?? this.ctx.jid);
    if (!set || !from || !to) return true;
    if (from !== this.ctx.jid && to !== this.ctx.jid) return true;
    const peer = from === this.ctx.jid ? to : from;
    if (peer === this.ctx.jid) return true;
    const target = await this.ctx.stores.messages.findByMessageId(this.ctx.accountId, peer, set.id);
    if (!target) {
      this.ctx.log.debug({ peer }, 'reaction to a message we do not have: ignored');
      return true;
    }
    if (await this.ctx.stores.reactions.set(target.id, from, set.emojis, stamp)) this.announceSoon(peer, target.id);
    return true;
  }

  /** Sends our whole set for a message of `peer` and stores it once the stanza is handed to the connection. */
  async react(peer: string, rowId: string, emojis: readonly string[]): Promise<ReactionsDTO> {
    const row = await this.ctx.stores.messages.byId(this.ctx.accountId, rowId);
    if (!row || row.peer !== peer) throw new CommandError('no such message in this conversation');
    // In a room: the room's stanza-id, sent as groupchat; our reflection maps back to our own JID (rooms/room-mutations.ts).
    const target = roomTargetId(row);
    if (!target) throw new CommandError('this message cannot be reacted to (it has no id)');
    const distinct = [...new Set(emojis)];
    if (distinct.length > MAX_REACTIONS || !distinct.every(isReactionEmoji)) throw new CommandError('a reaction must be a single emoji');
    try {
      const stanza = buildReactions(peer, randomUUID(), target, distinct);
      await this.ctx.conn.send(row.type === 'groupchat' ? asGroupchat(stanza) : stanza);
    } catch {
      throw new CommandError('not connected to the XMPP server: reaction not sent');
    }
    await this.ctx.stores.reactions.set(row.id, this.ctx.jid, distinct, new Date());
    return this.announce(peer, row.id);
  }

  /**
   * Received changes reach the tabs at most every ANNOUNCE_MS per message, with the newest state: a contact sending
   * thousands of reaction stanzas costs the tabs a few events, not thousands.
   */
  private announceSoon(peer: string, rowId: string): void {
    this.dirty.set(rowId, peer);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const batch = new Map(this.dirty);
      this.dirty.clear();
      this.announceMany(batch).catch((err: unknown) => this.ctx.log.warn({ err }, 'reactions not announced'));
    }, ANNOUNCE_MS);
    this.timer.unref();
  }

  private async announceMany(batch: Map<string, string>): Promise<void> {
    const rows = await this.ctx.stores.reactions.forMessages([...batch.keys()]);
    for (const [rowId, peer] of batch) this.ctx.emit('reactions', summarize(peer, rowId, rows.filter((r) => r.messageId === rowId)));
  }

  private async announce(peer: string, rowId: string): Promise<ReactionsDTO> {
    const dto = summarize(peer, rowId, await this.ctx.stores.reactions.forMessages([rowId]));
    this.ctx.emit('reactions', dto);
    return dto;
  }
}

/** Per emoji, who reacted with it, in order of first use. */
export function summarize(peer: string, id: string, sets: readonly Pick<ReactionRow, 'reactor' | 'emojis'>[]): ReactionsDTO {
  const by = new Map<string, string[]>();
  for (const s of sets) for (const e of s.emojis) by.set(e, [...(by.get(e) ?? []), s.reactor]);
  return { peer, id, reactions: [...by].map(([emoji, from]) => ({ emoji, from })) };
}

/** The reactions of a page of messages (only those that have any): history pages carry them. */
export async function reactionsOfPage(store: Pick<SessionContext['stores']['reactions'], 'forMessages'>, peer: string, rowIds: readonly string[]): Promise<ReactionsDTO[]> {
  const rows = await store.forMessages(rowIds);
  const byMessage = new Map<string, ReactionRow[]>();
  for (const r of rows) byMessage.set(r.messageId, [...(byMessage.get(r.messageId) ?? []), r]);
  return [...byMessage].map(([id, sets]) => summarize(peer, id, sets));
}
