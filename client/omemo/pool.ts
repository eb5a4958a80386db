/**
 * Which OMEMO device a tab uses. Every open tab is its own device, and a device must never be used by two live tabs at
 * once (two tabs advancing the same Signal sessions would corrupt them). A Web Lock per device, held for the tab's
 * lifetime, enforces that. Choice order: this tab's previous device (sessionStorage survives a reload), then an idle
 * device of this browser profile, then a new one; so a browser has as many devices as it ever had tabs open at once.
 */
import { OmemoDevice, randomDeviceId } from './device.js';
import type { OmemoStore } from './store.js';

/** The part of the Web Locks API (`navigator.locks`) the pool uses; injectable so Node tests can supply a fake. */
export interface LockManagerLike {
  request(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** The part of `sessionStorage` the pool uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export type Release = () => void;

export interface PoolChoice {
  device: OmemoDevice;
  /** Freshly generated: its bundle has never been published. */
  isNew: boolean;
  /** How the device was found: this tab's own (reload), an idle one of this browser, or a new one. */
  origin: 'previous' | 'idle' | 'new';
  /** Gives the device back (a closing tab releases it implicitly; tests and revocation call this). */
  release: Release;
}

export interface PoolOptions {
  store: OmemoStore;
  account: string;
  locks: LockManagerLike;
  storage: StorageLike;
  /** Devices never to adopt (revoked or marked compromised). */
  excluded?: (deviceId: number) => boolean | Promise<boolean>;
  preKeyCount?: number;
}

export const lockName = (account: string, deviceId: number): string => `parley-omemo:${account}:${deviceId}`;
export const sessionKey = (account: string): string => `parley-omemo-device:${account}`;

/**
 * Takes the lock `name` if nobody holds it, and keeps it until the returned release function is called (or the tab
 * goes away). Returns null when another tab holds it.
 */
export function tryLock(locks: LockManagerLike, name: string): Promise<Release | null> {
  return new Promise<Release | null>((resolve, reject) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        // The lock lasts as long as this promise is pending: for the tab's lifetime unless released.
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}

/** Adopts a device under its lock, or returns null (held by a live tab, excluded, or without keys here). */
async function adopt(opts: PoolOptions, deviceId: number): Promise<{ device: OmemoDevice; release: Release } | null> {
  if (await opts.excluded?.(deviceId)) return null;
  const release = await tryLock(opts.locks, lockName(opts.account, deviceId));
  if (!release) return null;
  const device = await OmemoDevice.load(opts.store, opts.account, deviceId);
  if (!device) {
    release();
    return null;
  }
  return { device, release };
}

export async function chooseDevice(opts: PoolOptions): Promise<PoolChoice> {
  const key = sessionKey(opts.account);
  const local = await opts.store.listDevices(opts.account);
  const remember = (choice: PoolChoice): PoolChoice => {
    opts.storage.setItem(key, String(choice.device.deviceId));
    return choice;
  };

  // 1. This tab's device from before a reload. A duplicated tab copied the same value but finds the lock taken.
  const previous = Number(opts.storage.getItem(key));
  if (previous && local.includes(previous)) {
    const got = await adopt(opts, previous);
    if (got) return remember({ ...got, isNew: false, origin: 'previous' });
  }

  // 2. An idle device of this browser profile (its tab was closed).
  for (const id of local) {
    if (id === previous) continue;
    const got = await adopt(opts, id);
    if (got) return remember({ ...got, isNew: false, origin: 'idle' });
  }

  // 3. A new device. Lock its id BEFORE creating its keys, so no other tab can adopt it half-made.
  for (;;) {
    const id = randomDeviceId();
    if (local.includes(id)) continue;
    const release = await tryLock(opts.locks, lockName(opts.account, id));
    if (!release) continue;
    const device = await OmemoDevice.create(opts.store, opts.account, { deviceId: id, preKeyCount: opts.preKeyCount });
    if (device.deviceId !== id) {
      // Another tab created this very id meanwhile (about 2^-31): give up both and try another id.
      release();
      continue;
    }
    return remember({ device, release, isNew: true, origin: 'new' });
  }
}

/** An in-memory LockManager with the `ifAvailable` semantics of Web Locks: for Node, where navigator.locks is absent. */
export class MemoryLocks implements LockManagerLike {
  private readonly held = new Set<string>();

  async request(name: string, _options: { ifAvailable: true }, callback: (lock: unknown) => unknown): Promise<unknown> {
    if (this.held.has(name)) return callback(null);
    this.held.add(name);
    try {
      return await callback({ name, mode: 'exclusive' });
    } finally {
      this.held.delete(name);
    }
  }

  isHeld(name: string): boolean {
    return this.held.has(name);
  }
}

/** A Storage-like map: one per simulated tab (sessionStorage is per tab). */
export class MemoryStorage implements StorageLike {
  private readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  /** "Duplicate tab" copies sessionStorage. */
  clone(): MemoryStorage {
    const c = new MemoryStorage();
    for (const [k, v] of this.map) c.setItem(k, v);
    return c;
  }
}
