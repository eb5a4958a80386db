/** The account's blocklist (XEP-0191), as the `blocklist` event and command give it. */
import type { BlocklistDTO } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';

export class BlockedStore extends Observable {
  private jids = new Set<string>();
  /** Whether the account's server offers blocking (unknown until the first list: assumed so). */
  supported = true;

  set(e: BlocklistDTO): void {
    this.jids = new Set(e.jids);
    if (e.supported !== undefined) this.supported = e.supported;
    this.notify();
  }

  /** Blocked: the bare JID itself, or its whole domain. */
  has(bareJid: string): boolean {
    if (this.jids.has(bareJid)) return true;
    const at = bareJid.indexOf('@');
    return at !== -1 && this.jids.has(bareJid.slice(at + 1));
  }

  all(): string[] {
    return [...this.jids].sort();
  }
}
