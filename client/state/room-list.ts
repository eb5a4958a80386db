/**
 * The sidebar's rooms section: the rooms by name with unread and mention counters, then the private messages with
 * room occupants (MUC-PM), newest first. Pure functions of the stores, apart from the contact list by construction.
 */
import type { AppState } from './app-state.js';
import { previewText } from './app-state.js';
import type { RoomState } from '../../server/realtime/contract.js';
import { roomName, splitOccupantJid } from './rooms.js';

export interface RoomEntry {
  jid: string;
  name: string;
  state: RoomState;
  unread: number;
  mentions: number;
  lastText: string | null;
  lastStamp: string | null;
  occupantCount: number;
}

export interface PmEntry {
  peer: string;
  room: string;
  nick: string;
  roomName: string;
  unread: number;
  lastText: string | null;
  lastStamp: string | null;
}

export function roomSections(state: AppState): { rooms: RoomEntry[]; pms: PmEntry[] } {
  const rooms = state.rooms.all().map((r): RoomEntry => {
    const conv = state.conversations.get(r.jid);
    return {
      jid: r.jid,
      name: roomName(r),
      state: r.state,
      // The conversation's count follows read events live; before any message of this tab, the room's own.
      unread: conv ? conv.unread : r.unread,
      mentions: state.rooms.mentions(r.jid),
      lastText: conv ? lastLine(conv.last.nick, previewText(conv.last.body, conv.last.encrypted, conv.last.attachment)) : null,
      lastStamp: conv?.last.stamp ?? null,
      occupantCount: r.occupantCount,
    };
  });
  const pms: PmEntry[] = [];
  for (const c of state.conversations.all()) {
    if (c.kind !== 'pm') continue;
    const parts = splitOccupantJid(c.peer);
    if (!parts) continue;
    const r = state.rooms.get(parts.room);
    pms.push({
      peer: c.peer,
      room: parts.room,
      nick: parts.nick,
      roomName: r ? roomName(r) : roomName({ jid: parts.room, name: null }),
      unread: c.unread,
      lastText: previewText(c.last.body, c.last.encrypted, c.last.attachment),
      lastStamp: c.last.stamp,
    });
  }
  return { rooms, pms };
}

function lastLine(nick: string | undefined, text: string | null): string | null {
  return text !== null && nick ? `${nick}: ${text}` : text;
}
