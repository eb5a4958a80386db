/** Which contact (or we) has which stored avatar: fed by `hello` and `avatar` events. */
import type { AvatarDTO } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';

const SHA1 = /^[0-9a-f]{40}$/;

export class AvatarsStore extends Observable {
  private readonly hashes = new Map<string, string>();

  reset(list: AvatarDTO[]): void {
    this.hashes.clear();
    for (const a of list) if (a.hash && SHA1.test(a.hash)) this.hashes.set(a.jid, a.hash);
    this.notify();
  }

  set(a: AvatarDTO): void {
    if (a.hash && SHA1.test(a.hash)) this.hashes.set(a.jid, a.hash);
    else this.hashes.delete(a.jid);
    this.notify();
  }

  /** The avatar's SHA-1 (the URL is /avatars/<hash>, same origin), or null: a letter avatar. */
  hash(jid: string): string | null {
    return this.hashes.get(jid) ?? null;
  }
}
