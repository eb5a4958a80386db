/**
 * IndexedDB-backed Signal protocol store. Keys, prekeys and sessions are namespaced by (accountJid, local deviceId)
 * because every browser tab is its own OMEMO device while tabs of one profile share one IndexedDB.
 * Trust records are namespaced by accountJid only: a device the user verified (or marked compromised) in one tab
 * must count in every tab of that account.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { KeyPairType, StorageType } from './signal-adapter.js';
import { bytesEqual } from './bytes.js';
import type { Trust, TrustRecord } from './types.js';

export interface LocalDeviceRecord {
  identityKeyPair: KeyPairType;
  registrationId: number;
  /** Prekey ids are never reused: a peer may still hold an old bundle. */
  nextPreKeyId: number;
  signedPreKeyId: number;
  createdAt: number;
}
export interface SignedPreKeyRecord {
  keyPair: KeyPairType;
  signature: ArrayBuffer;
  createdAt: number;
}

type DeviceKey = [string, number];
type ItemKey = [string, number, number];
type SessionKey = [string, number, string];
type TrustKey = [string, string, number];

interface OmemoDB extends DBSchema {
  devices: { key: DeviceKey; value: LocalDeviceRecord };
  preKeys: { key: ItemKey; value: KeyPairType };
  signedPreKeys: { key: ItemKey; value: SignedPreKeyRecord };
  sessions: { key: SessionKey; value: string };
  trust: { key: TrustKey; value: TrustRecord };
}

/** Splits the library's encoded address `jid.deviceId` (the device id is always the last dot-separated part). */
export function parseAddress(encoded: string): { jid: string; deviceId: number } {
  const dot = encoded.lastIndexOf('.');
  const deviceId = Number(encoded.slice(dot + 1));
  if (dot <= 0 || !Number.isInteger(deviceId)) throw new Error(`not a Signal address: ${encoded}`);
  return { jid: encoded.slice(0, dot), deviceId };
}

export class OmemoStore {
  private constructor(readonly db: IDBPDatabase<OmemoDB>) {}

  static async open(dbName = 'parley-omemo'): Promise<OmemoStore> {
    const db = await openDB<OmemoDB>(dbName, 1, {
      upgrade(db) {
        db.createObjectStore('devices');
        db.createObjectStore('preKeys');
        db.createObjectStore('signedPreKeys');
        db.createObjectStore('sessions');
        db.createObjectStore('trust');
      },
    });
    return new OmemoStore(db);
  }

  close(): void {
    this.db.close();
  }

  forDevice(accountJid: string, deviceId: number): DeviceStore {
    return new DeviceStore(this.db, accountJid, deviceId);
  }

  /** Local OMEMO devices (tabs) of this account that have keys in this browser profile. */
  async listDevices(accountJid: string): Promise<number[]> {
    const keys = await this.db.getAllKeys('devices', IDBKeyRange.bound([accountJid, 0], [accountJid, Infinity]));
    return keys.map((k) => k[1]);
  }

  /** Drops every key, prekey and session of one local device (trust records stay: they belong to the account). */
  async deleteDevice(accountJid: string, deviceId: number): Promise<void> {
    const tx = this.db.transaction(['devices', 'preKeys', 'signedPreKeys', 'sessions'], 'readwrite');
    const items = IDBKeyRange.bound([accountJid, deviceId, -Infinity], [accountJid, deviceId, Infinity]);
    await Promise.all([
      tx.objectStore('devices').delete([accountJid, deviceId]),
      tx.objectStore('preKeys').delete(items),
      tx.objectStore('signedPreKeys').delete(items),
      tx.objectStore('sessions').delete(IDBKeyRange.bound([accountJid, deviceId, ''], [accountJid, deviceId, '\uffff'])),
      tx.done,
    ]);
  }
}

/** The Signal StorageType for one local device, plus our own per-remote-device trust records. */
export class DeviceStore implements StorageType {
  private local: LocalDeviceRecord | undefined;
  /** Set by OmemoDevice so its cached bundle drops prekeys the library consumed. */
  onPreKeyRemoved: ((keyId: number) => void) | undefined;

  constructor(
    private readonly db: IDBPDatabase<OmemoDB>,
    readonly accountJid: string,
    readonly deviceId: number,
  ) {}

  private item(keyId: number | string): ItemKey {
    return [this.accountJid, this.deviceId, Number(keyId)];
  }

  // --- local device -------------------------------------------------------------------------------------------
  async getLocalDevice(): Promise<LocalDeviceRecord | undefined> {
    this.local ??= await this.db.get('devices', [this.accountJid, this.deviceId]);
    return this.local;
  }
  async putLocalDevice(record: LocalDeviceRecord): Promise<void> {
    await this.db.put('devices', record, [this.accountJid, this.deviceId]);
    this.local = record;
  }
  async getIdentityKeyPair(): Promise<KeyPairType | undefined> {
    return (await this.getLocalDevice())?.identityKeyPair;
  }
  async getLocalRegistrationId(): Promise<number | undefined> {
    return (await this.getLocalDevice())?.registrationId;
  }

  // --- prekeys ------------------------------------------------------------------------------------------------
  async loadPreKey(keyId: string | number): Promise<KeyPairType | undefined> {
    return this.db.get('preKeys', this.item(keyId));
  }
  async storePreKey(keyId: number | string, keyPair: KeyPairType): Promise<void> {
    await this.db.put('preKeys', keyPair, this.item(keyId));
  }
  /** Writes many prekeys in one transaction (100 separate transactions cost tens of ms in browsers). */
  async storePreKeys(keys: { keyId: number; keyPair: KeyPairType }[]): Promise<void> {
    const tx = this.db.transaction('preKeys', 'readwrite');
    await Promise.all([...keys.map((k) => tx.store.put(k.keyPair, this.item(k.keyId))), tx.done]);
  }
  async removePreKey(keyId: number | string): Promise<void> {
    await this.db.delete('preKeys', this.item(keyId));
    this.onPreKeyRemoved?.(Number(keyId));
  }
  async listPreKeys(): Promise<{ keyId: number; keyPair: KeyPairType }[]> {
    const range = IDBKeyRange.bound(this.item(-Infinity), this.item(Infinity));
    const tx = this.db.transaction('preKeys');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range)]);
    return keys.map((k, i) => ({ keyId: k[2], keyPair: values[i]! }));
  }

  async loadSignedPreKey(keyId: number | string): Promise<KeyPairType | undefined> {
    return (await this.db.get('signedPreKeys', this.item(keyId)))?.keyPair;
  }
  async loadSignedPreKeyRecord(keyId: number): Promise<SignedPreKeyRecord | undefined> {
    return this.db.get('signedPreKeys', this.item(keyId));
  }
  /** StorageType's variant carries no signature; OMEMO needs it for the bundle, so prefer storeSignedPreKeyRecord. */
  async storeSignedPreKey(keyId: number | string, keyPair: KeyPairType): Promise<void> {
    const old = await this.db.get('signedPreKeys', this.item(keyId));
    await this.db.put('signedPreKeys', { keyPair, signature: old?.signature ?? new ArrayBuffer(0), createdAt: Date.now() }, this.item(keyId));
  }
  async storeSignedPreKeyRecord(keyId: number, record: SignedPreKeyRecord): Promise<void> {
    await this.db.put('signedPreKeys', record, this.item(keyId));
  }
  async removeSignedPreKey(keyId: number | string): Promise<void> {
    await this.db.delete('signedPreKeys', this.item(keyId));
  }

  // --- sessions -----------------------------------------------------------------------------------------------
  async loadSession(encodedAddress: string): Promise<string | undefined> {
    return this.db.get('sessions', [this.accountJid, this.deviceId, encodedAddress]);
  }
  async storeSession(encodedAddress: string, record: string): Promise<void> {
    await this.db.put('sessions', record, [this.accountJid, this.deviceId, encodedAddress]);
  }
  async removeSession(jid: string, deviceId: number): Promise<void> {
    await this.db.delete('sessions', [this.accountJid, this.deviceId, `${jid}.${deviceId}`]);
  }

  // --- trust --------------------------------------------------------------------------------------------------
  private trustKey(jid: string, deviceId: number): TrustKey {
    return [this.accountJid, jid, deviceId];
  }
  getTrust(jid: string, deviceId: number): Promise<TrustRecord | undefined> {
    return this.db.get('trust', this.trustKey(jid, deviceId));
  }
  async listTrust(jid: string): Promise<TrustRecord[]> {
    return this.db.getAll('trust', IDBKeyRange.bound([this.accountJid, jid, 0], [this.accountJid, jid, Infinity]));
  }
  /** Records a user decision. Creates the record when the key is given and none exists yet. */
  async setTrust(jid: string, deviceId: number, trust: Trust, identityKey?: Uint8Array): Promise<void> {
    const old = await this.getTrust(jid, deviceId);
    const key = identityKey ?? old?.identityKey;
    if (!key) throw new Error(`no identity key known for ${jid}:${deviceId}`);
    if (old && identityKey && !bytesEqual(old.identityKey, identityKey)) throw new Error(`identity key of ${jid}:${deviceId} differs from the stored one`);
    await this.db.put('trust', { jid, deviceId, identityKey: key, trust, firstSeen: old?.firstSeen ?? Date.now() }, this.trustKey(jid, deviceId));
  }
  /** The user accepted that a device's identity changed: forget the old key and its session; the next key is TOFU again. */
  async forgetIdentity(jid: string, deviceId: number): Promise<void> {
    await this.db.delete('trust', this.trustKey(jid, deviceId));
    await this.removeSession(jid, deviceId);
  }

  /** Per device: refuse a compromised device and a CHANGED identity key of a known device; unknown devices are trusted on first use. */
  async checkIdentity(jid: string, deviceId: number, identityKey: Uint8Array): Promise<boolean> {
    const rec = await this.getTrust(jid, deviceId);
    if (!rec) return true;
    if (rec.trust === 'compromised') return false;
    return bytesEqual(rec.identityKey, identityKey);
  }

  async isTrustedIdentity(encodedAddress: string, identityKey: ArrayBuffer, _direction: number): Promise<boolean> {
    const { jid, deviceId } = parseAddress(encodedAddress);
    return this.checkIdentity(jid, deviceId, new Uint8Array(identityKey));
  }

  /** Stores a first-seen identity as 'unverified'. Never overwrites a different key (that needs forgetIdentity). */
  async saveIdentity(encodedAddress: string, publicKey: ArrayBuffer): Promise<boolean> {
    const { jid, deviceId } = parseAddress(encodedAddress);
    const key = new Uint8Array(publicKey.slice(0));
    const old = await this.getTrust(jid, deviceId);
    if (!old) {
      await this.db.put('trust', { jid, deviceId, identityKey: key, trust: 'unverified', firstSeen: Date.now() }, this.trustKey(jid, deviceId));
      return false;
    }
    return !bytesEqual(old.identityKey, key);
  }
}
