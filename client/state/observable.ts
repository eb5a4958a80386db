/** The subscribe/notify base of every store: views re-render from the store, never from events directly. */
export type Listener = () => void;

export class Observable {
  private readonly listeners = new Set<Listener>();

  /** Calls `listener` after every change; returns the function that unsubscribes it. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
