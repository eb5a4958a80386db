/**
 * The subscribe/notify base of every store: views re-render from the store, never from events directly.
 * `revision` is a signal bumped on every change: a Preact component that reads it (see client/ui/hooks.ts) re-renders
 * after the store changed, and several changes in one task cost one render.
 */
import { signal, type ReadonlySignal } from '@preact/signals-core';

export type Listener = () => void;

export class Observable {
  private readonly listeners = new Set<Listener>();
  private readonly version = signal(0);

  /** Read it (`.value`) inside a component or effect to follow this store. */
  get revision(): ReadonlySignal<number> {
    return this.version;
  }

  /** Calls `listener` after every change; returns the function that unsubscribes it. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected notify(): void {
    this.version.value++;
    for (const listener of [...this.listeners]) listener();
  }
}
