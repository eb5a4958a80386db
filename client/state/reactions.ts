/**
 * Reactions (XEP-0444) per message row, fed by `reactions` events and history pages. One signal per message: a
 * change re-renders only that bubble, so a contact flooding one message with reaction stanzas costs one bubble.
 */
import { signal, type Signal } from '@preact/signals-core';
import type { ReactionDTO, ReactionsDTO } from '../../server/realtime/contract.js';

const NONE: readonly ReactionDTO[] = Object.freeze([]);

export class ReactionsStore {
  private readonly byMessage = new Map<string, Signal<readonly ReactionDTO[]>>();

  /** The signal of one message's reactions (read `.value` in a component). */
  of(id: string): Signal<readonly ReactionDTO[]> {
    let s = this.byMessage.get(id);
    if (!s) this.byMessage.set(id, (s = signal(NONE)));
    return s;
  }

  set(e: ReactionsDTO): void {
    this.of(e.id).value = e.reactions.length ? e.reactions : NONE;
  }

  /** A history page: the messages it names have these reactions; the page's other messages keep theirs. */
  addPage(list: readonly ReactionsDTO[] | undefined): void {
    for (const e of list ?? []) this.set(e);
  }

  /** Our own set for a message, with `emoji` toggled: what the `react` command sends. */
  toggled(id: string, own: string, emoji: string): string[] {
    const mine = this.of(id).value.filter((r) => r.from.includes(own)).map((r) => r.emoji);
    return mine.includes(emoji) ? mine.filter((e) => e !== emoji) : [...mine, emoji];
  }
}
