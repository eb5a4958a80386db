/** One local OMEMO device (one per browser tab): its keys, its public bundle and prekey upkeep. */
import { generateIdentityKeyPair, generatePreKey, generateRegistrationId, generateSignedPreKey } from './signal-adapter.js';
import type { DeviceStore, OmemoStore } from './store.js';
import { MAX_DEVICE_ID, type Bundle, type SignedPreKeyPublic } from './types.js';

const SIGNED_PRE_KEY_ID = 1;
export const DEFAULT_PRE_KEYS = 100;

/** XEP-0384: "a randomly generated integer between 1 and 2^31 - 1". */
export function randomDeviceId(): number {
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    const id = buf[0]! & MAX_DEVICE_ID;
    if (id !== 0) return id;
  }
}

export class OmemoDevice {
  private constructor(
    readonly store: DeviceStore,
    readonly identityKey: Uint8Array,
    private readonly signedPreKey: SignedPreKeyPublic,
    private readonly preKeys: Map<number, Uint8Array>,
  ) {
    store.onPreKeyRemoved = (id) => this.preKeys.delete(id);
  }

  get accountJid(): string {
    return this.store.accountJid;
  }
  get deviceId(): number {
    return this.store.deviceId;
  }

  /** Generates identity, signed prekey and `preKeyCount` one-time prekeys under a fresh device id not used locally. */
  static async create(store: OmemoStore, accountJid: string, opts: { preKeyCount?: number; deviceId?: number } = {}): Promise<OmemoDevice> {
    const taken = new Set(await store.listDevices(accountJid));
    let deviceId = opts.deviceId ?? randomDeviceId();
    while (taken.has(deviceId)) deviceId = randomDeviceId();
    const ds = store.forDevice(accountJid, deviceId);

    const identityKeyPair = await generateIdentityKeyPair();
    const spk = await generateSignedPreKey(identityKeyPair, SIGNED_PRE_KEY_ID);
    const count = opts.preKeyCount ?? DEFAULT_PRE_KEYS;
    const preKeys = await Promise.all(Array.from({ length: count }, (_, i) => generatePreKey(i + 1)));

    await ds.storeSignedPreKeyRecord(SIGNED_PRE_KEY_ID, { keyPair: spk.keyPair, signature: spk.signature, createdAt: Date.now() });
    await ds.storePreKeys(preKeys);
    // The device record goes last: a device without it is treated as absent, so a crash mid-way leaves no half device.
    await ds.putLocalDevice({
      identityKeyPair,
      registrationId: generateRegistrationId(),
      nextPreKeyId: count + 1,
      signedPreKeyId: SIGNED_PRE_KEY_ID,
      createdAt: Date.now(),
    });
    return OmemoDevice.fromStore(ds);
  }

  /** Loads a device created earlier in this browser profile, or null when it has no keys here. */
  static async load(store: OmemoStore, accountJid: string, deviceId: number): Promise<OmemoDevice | null> {
    return OmemoDevice.fromStore(store.forDevice(accountJid, deviceId)).catch(() => null);
  }

  private static async fromStore(ds: DeviceStore): Promise<OmemoDevice> {
    const local = await ds.getLocalDevice();
    if (!local) throw new Error('no such local device');
    const spk = await ds.loadSignedPreKeyRecord(local.signedPreKeyId);
    if (!spk) throw new Error('signed prekey missing');
    const preKeys = new Map((await ds.listPreKeys()).map((k) => [k.keyId, new Uint8Array(k.keyPair.pubKey)] as const));
    return new OmemoDevice(
      ds,
      new Uint8Array(local.identityKeyPair.pubKey),
      { id: local.signedPreKeyId, publicKey: new Uint8Array(spk.keyPair.pubKey), signature: new Uint8Array(spk.signature) },
      preKeys,
    );
  }

  /** The public bundle to publish (reflects prekeys consumed since the last call). */
  bundle(): Bundle {
    return {
      deviceId: this.deviceId,
      identityKey: this.identityKey.slice(),
      signedPreKey: { ...this.signedPreKey, publicKey: this.signedPreKey.publicKey.slice(), signature: this.signedPreKey.signature.slice() },
      preKeys: [...this.preKeys].map(([id, publicKey]) => ({ id, publicKey: publicKey.slice() })),
    };
  }

  get preKeyCount(): number {
    return this.preKeys.size;
  }

  /**
   * Tops the one-time prekeys back up to `target` when fewer than `min` remain (the library deletes a prekey once a
   * PreKeySignalMessage using it decrypted). Returns true when the bundle changed and must be republished.
   */
  async replenishPreKeys(min = 20, target = DEFAULT_PRE_KEYS): Promise<boolean> {
    if (this.preKeys.size >= min) return false;
    const local = await this.store.getLocalDevice();
    if (!local) throw new Error('local device record missing');
    const first = local.nextPreKeyId;
    const fresh = await Promise.all(Array.from({ length: target - this.preKeys.size }, (_, i) => generatePreKey(first + i)));
    await this.store.storePreKeys(fresh);
    await this.store.putLocalDevice({ ...local, nextPreKeyId: first + fresh.length });
    for (const k of fresh) this.preKeys.set(k.keyId, new Uint8Array(k.keyPair.pubKey));
    return fresh.length > 0;
  }
}
