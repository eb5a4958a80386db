/**
 * The last message and the unread count of every conversation. Unread = the server's count at the last
 * snapshot plus incoming messages seen since, minus what a `read` event (from any client) covers.
 */
import type { ConversationDTO, MessageDTO } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';
import { compareIds, compareMessages } from './order.js';
import { merge } from './progress.js';

interface Entry {
  kind: ConversationKind;
  last: MessageDTO;
  /** Unread incoming messages counted by the server at the snapshot (their ids are unknown). */
  snapshotUnread: number;
  /** The newest message id at the snapshot: a read up to it covers `snapshotUnread`. */
  snapshotLastId: string | null;
  /** Incoming messages that arrived live and are not read yet. */
  unreadIds: Set<string>;
}

export type ConversationKind = ConversationDTO['kind'];

/**
 * What a live message's conversation is when the snapshot did not say: a full JID is always a MUC-PM (never a direct
 * chat), a message with a nick to a bare JID is a room's.
 */
export function kindOf(message: MessageDTO, isRoom: (jid: string) => boolean): ConversationKind {
  if (message.peer.includes('/')) return 'pm';
  return isRoom(message.peer) ? 'room' : 'chat';
}

export interface ConversationSummary {
  peer: string;
  kind: ConversationKind;
  last: MessageDTO;
  unread: number;
}

export class ConversationsStore extends Observable {
  private readonly entries = new Map<string, Entry>();

  reset(conversations: ConversationDTO[]): void {
    this.entries.clear();
    for (const c of conversations) {
      this.entries.set(c.peer, { kind: c.kind ?? 'chat', last: c.last, snapshotUnread: c.unread, snapshotLastId: c.last.id, unreadIds: new Set() });
    }
    this.notify();
  }

  /** A live message: it becomes the last one if it is newer; a new incoming one is unread until read. */
  onMessage(message: MessageDTO, kind: ConversationKind = message.peer.includes('/') ? 'pm' : 'chat'): void {
    let entry = this.entries.get(message.peer);
    if (!entry) {
      entry = { kind, last: message, snapshotUnread: 0, snapshotLastId: null, unreadIds: new Set() };
      this.entries.set(message.peer, entry);
    } else if (entry.last.id === message.id) {
      entry.last = merge(entry.last, message);
    } else if (compareMessages(entry.last, message) <= 0) {
      entry.last = message;
    }
    const alreadyCounted = entry.snapshotLastId !== null && compareIds(message.id, entry.snapshotLastId) <= 0;
    if (message.direction === 'in' && message.state === 'received' && !alreadyCounted) entry.unreadIds.add(message.id);
    if (message.direction === 'in' && message.state === 'displayed') entry.unreadIds.delete(message.id);
    this.notify();
  }

  /** Messages up to `upTo` were displayed somewhere (XEP-0333 markers are cumulative). */
  onRead(peer: string, upTo: string): void {
    const entry = this.entries.get(peer);
    if (!entry) return;
    for (const id of [...entry.unreadIds]) if (compareIds(id, upTo) <= 0) entry.unreadIds.delete(id);
    if (entry.snapshotLastId === null || compareIds(entry.snapshotLastId, upTo) <= 0) entry.snapshotUnread = 0;
    this.notify();
  }

  /**
   * Messages deleted for this account: no longer unread, and no longer the preview. `newest` is what the tab still
   * holds of the conversation; without it the conversation leaves the list until its next message.
   */
  onDeleted(peer: string, ids: readonly string[], newest: MessageDTO | undefined): void {
    const entry = this.entries.get(peer);
    if (!entry) return;
    for (const id of ids) entry.unreadIds.delete(id);
    if (ids.includes(entry.last.id)) {
      if (newest) entry.last = newest;
      else this.entries.delete(peer);
    }
    this.notify();
  }

  remove(peer: string): void {
    if (this.entries.delete(peer)) this.notify();
  }

  get(peer: string): ConversationSummary | undefined {
    const entry = this.entries.get(peer);
    return entry && { peer, kind: entry.kind, last: entry.last, unread: entry.snapshotUnread + entry.unreadIds.size };
  }

  /** Newest activity first. */
  all(): ConversationSummary[] {
    return [...this.entries.keys()].map((peer) => this.get(peer)!).sort((a, b) => compareMessages(b.last, a.last));
  }
}
