/**
 * Reactions (XEP-0444) per message row, fed by `reactions` events and history pages. One signal per message: a
 * change re-renders only that bubble, so a contact flooding one message with reaction stanzas costs one bubble.
 */
import { batch, signal, type Signal } from '@preact/signals-core';
import type { ReactionDTO, ReactionsDTO } from '../../server/realtime/contract.js';

const NONE: readonly ReactionDTO[] = Object.freeze([]);

export class ReactionsStore {
  private readonly byMessage = new Map<string, Signal<readonly ReactionDTO[]>>();
  private readonly pending = new Map<string, ReactionsDTO>();

  /** The signal of one message's reactions (read `.value` in a component). */
  of(id: string): Signal<readonly ReactionDTO[]> {
    let s = this.byMessage.get(id);
    if (!s) this.byMessage.set(id, (s = signal(NONE)));
    return s;
  }

  /**
   * Applied at the next animation frame, all changes together: a burst of events (a contact sending thousands of
   * reaction stanzas) costs one render per frame, not one per event. Without animation frames (tests): at once.
   */
  set(e: ReactionsDTO): void {
    if (typeof requestAnimationFrame === 'undefined') return this.apply(e);
    this.pending.set(e.id, e);
    if (this.pending.size === 1) requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    const changes = [...this.pending.values()];
    this.pending.clear();
    batch(() => changes.forEach((e) => this.apply(e)));
  }

  private apply(e: ReactionsDTO): void {
    this.of(e.id).value = e.reactions.length ? e.reactions : NONE;
  }

  /** A history page: the messages it names have these reactions; the page's other messages keep theirs. */
  addPage(list: readonly ReactionsDTO[] | undefined): void {
    for (const e of list ?? []) this.set(e);
  }

  /** Our own set for a message, with `emoji` toggled: what the `react` command sends. */
  toggled(id: string, own: string, emoji: string): string[] {
    const current = this.pending.get(id)?.reactions ?? this.of(id).value;
    const mine = current.filter((r) => r.from.includes(own)).map((r) => r.emoji);
    return mine.includes(emoji) ? mine.filter((e) => e !== emoji) : [...mine, emoji];
  }
}
