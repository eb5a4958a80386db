/**
 * Chat states (XEP-0085) in both directions, never stored. Incoming: coalesced per conversation, so a contact
 * flooding thousands of `<composing/>` costs the tabs at most one event per conversation per COALESCE_MS, carrying
 * the newest state. Outgoing: the tabs already throttle; the server drops a repeat of the same state to the same
 * contact within REPEAT_MS, so several tabs typing at once do not multiply it either.
 */
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import { buildChatState, parseChatState, type ChatState } from '../stanza/chat-states.js';
import { parseJid } from '../stanza/jid.js';

export const COALESCE_MS = 1000;
const REPEAT_MS = 4000;
/** Conversations tracked at once; the oldest is forgotten past this (a state is only ever a hint). */
const MAX_PEERS = 500;

interface Incoming {
  /** Last state the tabs were told. */
  told: ChatState | null;
  /** Newest state received and not told yet. */
  latest: ChatState | null;
  timer: NodeJS.Timeout | null;
}

export class ChatStates {
  private readonly incoming = new Map<string, Incoming>();
  private readonly sent = new Map<string, { state: ChatState; at: number }>();

  constructor(private readonly ctx: SessionContext, private readonly coalesceMs = COALESCE_MS) {}

  /** Every live message (and received carbon) passes here. A body without a state means `active` (XEP-0085 §5.4). */
  onMessage(el: Element): void {
    const notice = parseChatState(el, this.ctx.jid);
    if (notice) return this.note(notice.from, notice.state);
    const from = parseJid(el.attrs.from ?? '');
    if (from && from.bare !== this.ctx.jid && this.incoming.has(from.bare) && el.getChild('body')) this.note(from.bare, 'active');
  }

  private note(peer: string, state: ChatState): void {
    let entry = this.incoming.get(peer);
    if (!entry) {
      if (this.incoming.size >= MAX_PEERS) this.forget(this.incoming.keys().next().value!);
      entry = { told: null, latest: null, timer: null };
      this.incoming.set(peer, entry);
    }
    entry.latest = state;
    if (entry.timer) return; // within the window: the newest is told when it closes
    this.tell(peer, entry);
  }

  private tell(peer: string, entry: Incoming): void {
    const state = entry.latest;
    entry.latest = null;
    if (state === null || state === entry.told) {
      entry.timer = null;
      return;
    }
    entry.told = state;
    this.ctx.emit('chatState', { peer, state });
    entry.timer = setTimeout(() => this.tell(peer, entry), this.coalesceMs);
    entry.timer.unref();
  }

  private forget(peer: string): void {
    const entry = this.incoming.get(peer);
    if (entry?.timer) clearTimeout(entry.timer);
    this.incoming.delete(peer);
  }

  /** A tab's state for a contact. Dropped while offline: a stale "typing" later would be wrong. */
  async send(peer: string, state: ChatState): Promise<void> {
    if (this.ctx.conn.state !== 'online') return;
    const last = this.sent.get(peer);
    const now = Date.now();
    if (last && last.state === state && now - last.at < REPEAT_MS) return;
    if (!last && this.sent.size >= MAX_PEERS) this.sent.delete(this.sent.keys().next().value!);
    this.sent.set(peer, { state, at: now });
    await this.ctx.conn.send(buildChatState(peer, state));
  }

  stop(): void {
    for (const peer of [...this.incoming.keys()]) this.forget(peer);
  }
}
