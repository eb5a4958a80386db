/**
 * Decrypted text of OMEMO messages, in this browser's IndexedDB, keyed by account + server message id.
 * Why: a Signal message can be decrypted only once per device (the key is ratcheted away), yet history is shown again
 * after every reload and in every tab; and a tab cannot decrypt what it sent itself (OMEMO does not encrypt to the
 * sending device). Texts of messages this tab sent wait under their origin-id until the server's id is known.
 * Also keeps two small per-account facts the OMEMO core has no place for: the bundle last announced per local
 * device, and the device ids this account revoked.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export interface CachedPlaintext {
  text: string;
  /** Bare JID of the sender (our own account for messages we sent). */
  senderJid: string;
  senderDeviceId: number;
  /** Set when the text came from another device of the account (history handover): that device vouches for it. */
  handedOverBy?: number;
  at: number;
  /** Where the message sits (for searching this browser's plaintexts): its conversation, direction and stamp. */
  peer?: string;
  direction?: 'in' | 'out';
  stamp?: string;
}

/** Where a message sits, kept beside its text so that search can name and open it. */
export type PlaintextPlace = Required<Pick<CachedPlaintext, 'peer' | 'direction' | 'stamp'>>;

/** At most this many plaintexts are read per search: a bounded scan, never a freeze (about 50 ms per 10,000 here). */
export const SEARCH_SCAN_LIMIT = 50_000;
/** At most this many hits per search, newest first. */
export const SEARCH_HITS = 100;
interface SentRecord {
  text: string;
  senderDeviceId: number;
  at: number;
}

interface CacheDB extends DBSchema {
  plaintext: { key: [string, string]; value: CachedPlaintext };
  sent: { key: [string, string]; value: SentRecord };
  meta: { key: [string, string]; value: string };
}

/** Unbound sent texts (the send failed or the tab closed before the ack) are dropped after this long. */
const SENT_TTL_MS = 7 * 24 * 3600_000;

export class PlaintextCache {
  private constructor(private readonly db: IDBPDatabase<CacheDB>, readonly account: string) {}

  static async open(account: string, dbName = 'parley-omemo'): Promise<PlaintextCache> {
    const db = await openDB<CacheDB>(`${dbName}-plaintext`, 1, {
      upgrade(db) {
        db.createObjectStore('plaintext');
        db.createObjectStore('sent');
        db.createObjectStore('meta');
      },
    });
    const cache = new PlaintextCache(db, account);
    await cache.pruneSent().catch(() => undefined);
    return cache;
  }

  close(): void {
    this.db.close();
  }

  get(messageId: string): Promise<CachedPlaintext | undefined> {
    return this.db.get('plaintext', [this.account, messageId]);
  }

  /** True when this browser holds at least one decrypted message of the account: it has history to hand over. */
  async hasAny(): Promise<boolean> {
    return (await this.db.count('plaintext', IDBKeyRange.bound([this.account, ''], [this.account, '\uffff']))) > 0;
  }

  async put(messageId: string, entry: Omit<CachedPlaintext, 'at'>): Promise<void> {
    await this.db.put('plaintext', { ...entry, at: Date.now() }, [this.account, messageId]);
  }

  /**
   * Drops the texts of messages deleted or retracted for this account, with those of their corrected versions
   * (keyed `<id>.<version>`, see client/ui/chat/versions.ts).
   */
  async forget(messageIds: readonly string[]): Promise<void> {
    const tx = this.db.transaction('plaintext', 'readwrite');
    for (const id of messageIds) {
      void tx.store.delete([this.account, id]);
      void tx.store.delete(IDBKeyRange.bound([this.account, `${id}.`], [this.account, `${id}.\uffff`]));
    }
    await tx.done;
  }

  /** Adds where a message sits to a text stored without it (stored before search existed, or handed over). */
  async place(messageId: string, place: PlaintextPlace): Promise<void> {
    const tx = this.db.transaction('plaintext', 'readwrite');
    const entry = await tx.store.get([this.account, messageId]);
    if (entry && entry.peer === undefined) await tx.store.put({ ...entry, ...place }, [this.account, messageId]);
    await tx.done;
  }

  /**
   * Decrypted messages containing every term (`matches`), newest first: a cursor over the account's entries, at most
   * SEARCH_SCAN_LIMIT of them. Entries that do not say where they sit are skipped (they cannot be opened).
   */
  async search(matches: (text: string) => boolean, peer?: string): Promise<({ id: string; text: string } & PlaintextPlace)[]> {
    const hits: ({ id: string; text: string } & PlaintextPlace)[] = [];
    const tx = this.db.transaction('plaintext', 'readonly');
    let scanned = 0;
    for (let c = await tx.store.openCursor(IDBKeyRange.bound([this.account, ''], [this.account, '\uffff'])); c && scanned < SEARCH_SCAN_LIMIT; c = await c.continue()) {
      scanned++;
      const v = c.value;
      if (v.peer === undefined || v.stamp === undefined || v.direction === undefined) continue;
      if (peer !== undefined && v.peer !== peer) continue;
      if (matches(v.text)) hits.push({ id: c.key[1], text: v.text, peer: v.peer, direction: v.direction, stamp: v.stamp });
    }
    await tx.done;
    return hits.sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0)).slice(0, SEARCH_HITS);
  }

  /** At send time, before the server assigned an id. */
  async rememberSent(originId: string, text: string, senderDeviceId: number): Promise<void> {
    await this.db.put('sent', { text, senderDeviceId, at: Date.now() }, [this.account, originId]);
  }

  /** Moves a sent text under its message id; returns it (null when this browser has no such sent text). */
  async bindSent(originId: string, messageId: string, place?: PlaintextPlace): Promise<CachedPlaintext | null> {
    const tx = this.db.transaction(['sent', 'plaintext'], 'readwrite');
    const sent = await tx.objectStore('sent').get([this.account, originId]);
    if (!sent) {
      await tx.done;
      return (await this.get(messageId)) ?? null;
    }
    const entry: CachedPlaintext = { text: sent.text, senderJid: this.account, senderDeviceId: sent.senderDeviceId, at: Date.now(), ...place };
    await tx.objectStore('plaintext').put(entry, [this.account, messageId]);
    await tx.objectStore('sent').delete([this.account, originId]);
    await tx.done;
    return entry;
  }

  async sentText(originId: string): Promise<SentRecord | undefined> {
    return this.db.get('sent', [this.account, originId]);
  }

  private async pruneSent(): Promise<void> {
    const tx = this.db.transaction('sent', 'readwrite');
    const cutoff = Date.now() - SENT_TTL_MS;
    for (let cursor = await tx.store.openCursor(); cursor; cursor = await cursor.continue()) {
      if (cursor.value.at < cutoff) await cursor.delete();
    }
    await tx.done;
  }

  // --- small per-account facts ---------------------------------------------------------------------------------
  getMeta(key: string): Promise<string | undefined> {
    return this.db.get('meta', [this.account, key]);
  }
  async setMeta(key: string, value: string): Promise<void> {
    await this.db.put('meta', value, [this.account, key]);
  }

  async isRevoked(deviceId: number): Promise<boolean> {
    return (await this.getMeta(`revoked:${deviceId}`)) !== undefined;
  }
  async markRevoked(deviceId: number): Promise<void> {
    await this.setMeta(`revoked:${deviceId}`, String(Date.now()));
  }
}
