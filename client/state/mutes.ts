/** The account's muted conversations (no notifications; unread still counted), as the server's `mutes` events say. */
import { Observable } from './observable.js';

export class MutesStore extends Observable {
  private peers = new Set<string>();

  set(peers: readonly string[]): void {
    this.peers = new Set(peers);
    this.notify();
  }

  has(peer: string): boolean {
    return this.peers.has(peer);
  }
}
