/**
 * Timing of the OMEMO core, runnable in a browser tab (real IndexedDB) or in Node (import 'fake-indexeddb/auto' first).
 * No side effects on import; the benchmark opens and deletes its own throw-away database.
 */
import { decrypt, encrypt } from './cipher.js';
import { OmemoDevice } from './device.js';
import { OmemoStore } from './store.js';
import type { Recipient } from './types.js';

export interface OmemoBenchResult {
  /** Medians in milliseconds. */
  keyGeneration100: number;
  firstMessage1: { encrypt: number; decrypt: number };
  firstMessage10: { encrypt: number; decryptPerDevice: number };
  established1: { encrypt: number; decrypt: number };
  established10: { encrypt: number; decryptPerDevice: number };
  rounds: { keyGeneration: number; first: number; established: number };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number) => Math.round(x * 100) / 100;

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await f();
  return [performance.now() - t, v];
}

export async function benchOmemoCore(opts: { keyGenRounds?: number; firstRounds?: number; establishedRounds?: number } = {}): Promise<OmemoBenchResult> {
  const keyGenRounds = opts.keyGenRounds ?? 5;
  const firstRounds = opts.firstRounds ?? 5;
  const establishedRounds = opts.establishedRounds ?? 20;
  const dbName = `parley-omemo-bench-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const store = await OmemoStore.open(dbName);
  try {
    const keyGen: number[] = [];
    let sender: OmemoDevice | undefined;
    for (let i = 0; i < keyGenRounds; i++) {
      const [ms, d] = await timed(() => OmemoDevice.create(store, 'alice@bench.example', { preKeyCount: 100 }));
      keyGen.push(ms);
      sender ??= d;
    }
    const alice = sender ?? (await OmemoDevice.create(store, 'alice@bench.example'));
    // Recipients need enough one-time prekeys for a fresh X3DH per round; their key count does not affect message cost.
    const peers = await Promise.all(Array.from({ length: 10 }, () => OmemoDevice.create(store, 'bob@bench.example', { preKeyCount: firstRounds + 2 })));
    const withBundles = (ps: OmemoDevice[]): Recipient[] => ps.map((p) => ({ jid: p.accountJid, deviceId: p.deviceId, bundle: p.bundle() }));
    const noBundles = (ps: OmemoDevice[]): Recipient[] => ps.map((p) => ({ jid: p.accountJid, deviceId: p.deviceId }));

    const first = async (ps: OmemoDevice[]) => {
      const enc: number[] = [];
      const dec: number[] = [];
      for (let i = 0; i < firstRounds; i++) {
        for (const p of ps) await alice.store.removeSession(p.accountJid, p.deviceId);
        const [e, m] = await timed(() => encrypt(alice, `first ${i}`, withBundles(ps)));
        enc.push(e);
        for (const p of ps) {
          const [d, r] = await timed(() => decrypt(p, m.element, alice.accountJid));
          if (r.status !== 'ok') throw new Error(`bench: first-message decrypt failed: ${r.status}`);
          dec.push(d);
        }
      }
      return { encrypt: round(median(enc)), decrypt: round(median(dec)) };
    };
    const established = async (ps: OmemoDevice[]) => {
      // A reply from each peer completes the session, so these are plain SignalMessages (no prekey).
      for (const p of ps) {
        const reply = await encrypt(p, 'reply', [{ jid: alice.accountJid, deviceId: alice.deviceId }]);
        await decrypt(alice, reply.element, p.accountJid);
      }
      const enc: number[] = [];
      const dec: number[] = [];
      for (let i = 0; i < establishedRounds; i++) {
        const [e, m] = await timed(() => encrypt(alice, `msg ${i}`, noBundles(ps)));
        enc.push(e);
        for (const p of ps) {
          const [d, r] = await timed(() => decrypt(p, m.element, alice.accountJid));
          if (r.status !== 'ok' || r.prekey) throw new Error(`bench: established decrypt failed: ${r.status}`);
          dec.push(d);
        }
      }
      return { encrypt: round(median(enc)), decrypt: round(median(dec)) };
    };

    const f1 = await first(peers.slice(0, 1));
    const f10 = await first(peers);
    const e1 = await established(peers.slice(0, 1));
    const e10 = await established(peers);
    return {
      keyGeneration100: round(median(keyGen)),
      firstMessage1: f1,
      firstMessage10: { encrypt: f10.encrypt, decryptPerDevice: f10.decrypt },
      established1: e1,
      established10: { encrypt: e10.encrypt, decryptPerDevice: e10.decrypt },
      rounds: { keyGeneration: keyGenRounds, first: firstRounds, established: establishedRounds },
    };
  } finally {
    store.close();
    await new Promise<void>((resolve) => {
      const req = indexedDB.deleteDatabase(dbName);
      req.onsuccess = req.onerror = req.onblocked = () => resolve();
    });
  }
}
