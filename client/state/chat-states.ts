/**
 * Contacts' chat states (XEP-0085) as the server coalesced them, for the "typing…" line. A `composing` that is not
 * followed by anything (the contact's client crashed, the network went) expires after TYPING_EXPIRES_MS.
 */
import type { ChatStateName } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';

export const TYPING_EXPIRES_MS = 30_000;

export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  later(fn: () => void, ms: number): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  later: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export class ChatStatesStore extends Observable {
  private readonly states = new Map<string, { state: ChatStateName; at: number; cancel: () => void }>();

  constructor(private readonly clock: Clock = realClock) {
    super();
  }

  set(peer: string, state: ChatStateName): void {
    this.states.get(peer)?.cancel();
    const cancel = state === 'composing' ? this.clock.later(() => this.clear(peer), TYPING_EXPIRES_MS) : () => undefined;
    this.states.set(peer, { state, at: this.clock.now(), cancel });
    this.notify();
  }

  /** A message from the contact arrived: whatever they were doing, they sent it. */
  clear(peer: string): void {
    const held = this.states.get(peer);
    if (!held) return;
    held.cancel();
    this.states.delete(peer);
    this.notify();
  }

  typing(peer: string): boolean {
    const held = this.states.get(peer);
    return held !== undefined && held.state === 'composing' && this.clock.now() - held.at < TYPING_EXPIRES_MS;
  }

  /** Forgets everything (a new snapshot: states from before it are stale). */
  reset(): void {
    for (const held of this.states.values()) held.cancel();
    this.states.clear();
    this.notify();
  }
}

/**
 * What this tab tells a contact while its user types: `composing` at most once per THROTTLE_MS of typing, `paused`
 * after IDLE_MS without a keystroke, `active` when the message is sent or the box is emptied.
 */
export class TypingSender {
  static readonly THROTTLE_MS = 5000;
  static readonly IDLE_MS = 5000;
  private state: ChatStateName = 'active';
  private lastComposing = -Infinity;
  private cancelIdle: (() => void) | null = null;

  constructor(private readonly send: (state: ChatStateName) => void, private readonly clock: Clock = realClock) {}

  /** After each change of the box; `hasText`: it is not empty. */
  input(hasText: boolean): void {
    this.cancelIdle?.();
    this.cancelIdle = null;
    if (!hasText) return this.become('active');
    const now = this.clock.now();
    if (this.state !== 'composing' || now - this.lastComposing >= TypingSender.THROTTLE_MS) {
      this.lastComposing = now;
      this.state = 'composing';
      this.send('composing');
    }
    this.cancelIdle = this.clock.later(() => {
      this.cancelIdle = null;
      this.become('paused');
    }, TypingSender.IDLE_MS);
  }

  /** The message went (or the conversation is left): the contact should not see "typing" any more. */
  sent(): void {
    this.cancelIdle?.();
    this.cancelIdle = null;
    this.become('active');
  }

  private become(state: ChatStateName): void {
    if (this.state === state) return;
    this.state = state;
    this.send(state);
  }
}
