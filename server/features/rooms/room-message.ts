/**
 * What a room message (type groupchat) or a private message through a room (MUC-PM) becomes as a stored row, or why
 * it is dropped. Pure: the caller (history.ts) gives what the registry knows of the room and the sender. The rules:
 * - a room message belongs to the room's conversation (peer = the room's bare JID), a MUC-PM to the occupant's
 *   (peer = room/nick): never a direct chat;
 * - live, only an occupant (or we) may speak; history (the room's delay) and the room's archive may name nicks that
 *   are gone, as only the room itself writes those;
 * - ours ('out') when the nick is ours or the room shows our own real JID (another client of ours);
 * - others' origin-ids are scoped by their nick (originSender), so one occupant cannot shadow another's message.
 */
import type { Element } from '@xmpp/xml';
import type { GroupchatMessage, Occupant } from '../../stanza/muc.js';
import { NS_MUC_USER } from '../../stanza/muc.js';
import { parseChatMessage } from '../../stanza/message.js';
import { parseReply } from '../../stanza/reply.js';
import { bareOf, parseJid } from '../../stanza/jid.js';
import type { NewMessage } from '../../store/messages.js';
import { mentionsMe } from './mentions.js';

export type RoomSource = 'live' | 'history' | 'archive';

export interface RoomMessageInput {
  accountId: string;
  ownBare: string;
  el: Element;
  gc: GroupchatMessage;
  /** Our nick in the room now. */
  ourNick: string;
  /** The available occupant with the sender's nick, when there is one. */
  occupant: Occupant | undefined;
  source: RoomSource;
  /** The order stamp: the room's delay or archive stamp, else the arrival. */
  stamp: Date;
  /** The room's archive id, for results of the room's MAM (the message itself may carry none). */
  archiveId?: string;
}

export type RoomRowResult = { ok: true; row: NewMessage } | { ok: false; reason: string };

/** The real bare JID a room states for the sender: the registry's occupant, else the archived message's muc#user item. */
function realJidOf(el: Element, occupant: Occupant | undefined, source: RoomSource): string | null {
  if (occupant?.jid) return bareOf(occupant.jid);
  if (source === 'live') return null;
  const item = el.getChild('x', NS_MUC_USER)?.getChild('item');
  return typeof item?.attrs.jid === 'string' ? bareOf(item.attrs.jid) : null;
}

export function roomMessageRow(i: RoomMessageInput): RoomRowResult {
  const { gc } = i;
  if (gc.nick === null) return { ok: false, reason: 'a message from the room itself' };
  if (gc.body === null && gc.encrypted === null) return { ok: false, reason: 'a subject change, not a message' };
  if (gc.encrypted === null && gc.body === '') return { ok: false, reason: 'empty body' };
  const ours = gc.nick === i.ourNick;
  if (i.source === 'live' && !ours && !i.occupant) return { ok: false, reason: 'live message from a nick that is not an occupant' };
  const senderJid = realJidOf(i.el, i.occupant, i.source);
  const direction = ours || senderJid === i.ownBare ? 'out' : 'in';
  return {
    ok: true,
    row: {
      accountId: i.accountId,
      peer: gc.room,
      direction,
      fromJid: `${gc.room}/${gc.nick}`,
      toJid: direction === 'out' ? gc.room : i.ownBare,
      type: 'groupchat',
      body: gc.encrypted ? null : gc.body,
      encrypted: gc.encrypted,
      messageId: gc.messageId,
      originId: gc.originId,
      stanzaId: i.archiveId ?? gc.stanzaId,
      stamp: i.stamp,
      state: direction === 'out' ? 'sent' : 'received',
      ...replyColumns(i.el),
      nick: gc.nick,
      senderJid,
      occupantId: gc.occupantId,
      mentionsMe: direction === 'in' && !gc.encrypted && mentionsMe(i.el, gc.body, gc.room, i.ourNick, i.ownBare),
      originSender: direction === 'out' ? '' : gc.nick,
    },
  };
}

function replyColumns(el: Element) {
  const r = parseReply(el);
  return { replyToId: r?.id ?? null, replyToJid: r?.to ?? null, replyFallbackStart: r?.fallback?.start ?? null, replyFallbackEnd: r?.fallback?.end ?? null };
}

export interface PmInput {
  accountId: string;
  ownBare: string;
  el: Element;
  /** The occupant JID's parts (from mucPmOf for incoming ones, or the `to` of a carbon of ours). */
  room: string;
  nick: string;
  occupant: Occupant | undefined;
  receivedAt: Date;
}

/** A private message with an occupant: its own conversation, peer = room/nick, whichever side sent it. */
export function pmRow(i: PmInput): RoomRowResult {
  const msg = parseChatMessage(i.el, i.ownBare, i.receivedAt);
  if (!msg) return { ok: false, reason: 'not a private message with content' };
  const peer = `${i.room}/${i.nick}`;
  const other = parseJid(msg.direction === 'in' ? msg.from : msg.to);
  if (!other || other.bare !== i.room || other.resource !== i.nick) {
    return { ok: false, reason: 'the private message is not with that occupant' };
  }
  return {
    ok: true,
    row: {
      accountId: i.accountId,
      peer,
      direction: msg.direction,
      fromJid: msg.from,
      toJid: msg.to,
      type: 'chat',
      body: msg.body,
      encrypted: msg.encrypted,
      messageId: msg.messageId,
      originId: msg.originId,
      stanzaId: msg.stanzaId,
      stamp: i.receivedAt,
      state: msg.direction === 'in' ? 'received' : 'sent',
      replyToId: msg.reply?.id ?? null,
      replyToJid: msg.reply?.to ?? null,
      replyFallbackStart: msg.reply?.fallback?.start ?? null,
      replyFallbackEnd: msg.reply?.fallback?.end ?? null,
      nick: i.nick,
      senderJid: msg.direction === 'in' && i.occupant?.jid ? bareOf(i.occupant.jid) : null,
      occupantId: null,
    },
  };
}
