/**
 * Corrections (XEP-0308), retractions (XEP-0424) and reactions (XEP-0444) inside a room, and the room's own
 * moderation announcements (XEP-0425). A correction or retraction counts only from the sender of the message it
 * names: ours (our nick, or our real JID) for our messages, the same nick for others' — and where the room stamps
 * occupant ids (XEP-0421), the same occupant id, so someone who takes a nick after its owner left cannot rewrite the
 * owner's messages. Reactions may name anyone's message of the room; each reactor's set replaces its earlier one
 * (the reactor is our bare JID for ours, the nick for others). None of them is ever stored as a message.
 */
import type { Element } from '@xmpp/xml';
import type { SessionContext } from '../context.js';
import type { RoomView } from './ports.js';
import { toMessageDTO } from '../messages.js';
import { summarize } from '../reactions.js';
import { isCorrection, NS_CORRECT } from '../../stanza/correction.js';
import { isRetraction } from '../../stanza/retraction.js';
import { NS_REACTIONS, parseReactions } from '../../stanza/reactions.js';
import { NS } from '../../stanza/ns.js';
import { bareOf } from '../../stanza/jid.js';
import type { GroupchatMessage, Moderation, Occupant } from '../../stanza/muc.js';
import type { RoomSource } from './room-message.js';

const MAX_ID = 256;

/** The id a retraction names: v1 `<retract id>`, or v0 inside `<apply-to>` (fastening). */
function retractedId(el: Element): string | null {
  const direct = el.getChild('retract', NS.retract)?.attrs.id;
  if (typeof direct === 'string') return direct;
  for (const apply of el.getChildren('apply-to', NS.fasten)) {
    if (apply.getChild('retract', NS.retract0) && typeof apply.attrs.id === 'string') return apply.attrs.id;
  }
  return null;
}

export class RoomMutations {
  constructor(private readonly ctx: SessionContext) {}

  isMutationOrReaction(el: Element): boolean {
    return isCorrection(el) || isRetraction(el) || el.getChild('reactions', NS_REACTIONS) !== undefined;
  }

  /** True when `el` was a mutation or a reaction (applied or refused): the caller must not store it as a message. */
  async apply(view: RoomView, el: Element, gc: GroupchatMessage, occupant: Occupant | undefined, source: RoomSource, stamp: Date): Promise<boolean> {
    if (!this.isMutationOrReaction(el) || gc.nick === null) return this.isMutationOrReaction(el);
    const realJid = occupant?.jid ? bareOf(occupant.jid) : null;
    const ours = gc.nick === view.nick || realJid === this.ctx.jid;
    const sender = { direction: ours ? ('out' as const) : ('in' as const), nick: gc.nick };
    if (el.getChild('reactions', NS_REACTIONS)) {
      await this.react(view.jid, el, ours ? this.ctx.jid : gc.nick, stamp);
      return true;
    }
    const id = isRetraction(el) ? retractedId(el) : el.getChild('replace', NS_CORRECT)?.attrs.id;
    if (typeof id !== 'string' || !id || id.length > MAX_ID) return this.refuse('unreadable room correction or retraction');
    const target = await this.ctx.stores.messages.roomMessageOf(this.ctx.accountId, view.jid, id, sender);
    if (!target) return this.refuse(`room ${isRetraction(el) ? 'retraction' : 'correction'} of a message its sender did not send (or we do not hold): ignored`);
    if (target.occupantId && gc.occupantId && target.occupantId !== gc.occupantId) return this.refuse('room mutation from another occupant with the same nick: ignored');
    const updated = isRetraction(el)
      ? await this.ctx.stores.mutations.retract(this.ctx.accountId, target.id, stamp)
      : await this.ctx.stores.mutations.correct(this.ctx.accountId, target.id, {
          body: gc.encrypted ? null : gc.body,
          encrypted: gc.encrypted,
          sourceId: gc.originId ?? gc.messageId,
          stamp,
        });
    if (updated) this.ctx.emit('message', { message: toMessageDTO(updated) });
    void source;
    return true;
  }

  private async react(room: string, el: Element, reactor: string, stamp: Date): Promise<void> {
    const set = parseReactions(el);
    if (!set) return;
    const target = await this.ctx.stores.messages.roomMessageOf(this.ctx.accountId, room, set.id, { direction: 'in', nick: null })
      ?? (await this.ctx.stores.messages.roomMessageOf(this.ctx.accountId, room, set.id, { direction: 'out', nick: null }));
    if (!target) return void this.refuse('room reaction to a message we do not hold: ignored');
    if (await this.ctx.stores.reactions.set(target.id, reactor, set.emojis, stamp)) {
      this.ctx.emit('reactions', summarize(room, target.id, await this.ctx.stores.reactions.forMessages([target.id])));
    }
  }

  /** The room says a moderator removed a message: tombstone it (only a message of that room, by the room's stanza-id). */
  async moderate(m: Moderation, at: Date): Promise<void> {
    const row = await this.ctx.stores.messages.byStanzaId(this.ctx.accountId, m.room, m.stanzaId);
    if (!row || row.type !== 'groupchat') return void this.refuse('moderation of a room message we do not hold: ignored');
    const updated = await this.ctx.stores.messages.moderate(this.ctx.accountId, row.id, m.by, m.reason, at);
    if (!updated) return;
    this.ctx.emit('moderated', { room: m.room, id: updated.id, by: m.by, reason: m.reason });
    this.ctx.emit('message', { message: toMessageDTO(updated) });
  }

  private refuse(reason: string): true {
    this.ctx.log.info(reason);
    return true;
  }
}
