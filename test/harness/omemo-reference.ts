/**
 * A reference OMEMO 0.3 device for interop tests, built on Signal's own Rust library (@signalapp/libsignal-client,
 * pinned 0.23.1: the last version that both accepts and produces OMEMO 0.3-compatible messages; see NOTES.md).
 * Independent of the browser code on purpose: its own in-memory stores, its own AES-GCM (node:crypto) and its own
 * XML reading/writing, so a bug in client/omemo cannot hide itself by being mirrored here.
 * Trust model: trust on first use, refuse a changed identity key.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import * as S from '@signalapp/libsignal-client';
import { el, isXmlElement, type XmlElement } from '../../client/omemo/xml.js';

const NS = 'eu.siacs.conversations.axolotl';

export interface RefBundle {
  deviceId: number;
  identityKey: Uint8Array;
  signedPreKey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
  preKeys: { id: number; publicKey: Uint8Array }[];
}
export interface RefRecipient {
  jid: string;
  deviceId: number;
  bundle?: RefBundle;
}

const addrKey = (a: S.ProtocolAddress) => `${a.name()}\u0000${a.deviceId()}`;

class MemSessions extends S.SessionStore {
  readonly map = new Map<string, Buffer>();
  async saveSession(name: S.ProtocolAddress, record: S.SessionRecord): Promise<void> {
    this.map.set(addrKey(name), record.serialize());
  }
  async getSession(name: S.ProtocolAddress): Promise<S.SessionRecord | null> {
    const b = this.map.get(addrKey(name));
    return b ? S.SessionRecord.deserialize(b) : null;
  }
  async getExistingSessions(addresses: S.ProtocolAddress[]): Promise<S.SessionRecord[]> {
    return Promise.all(addresses.map(async (a) => {
      const s = await this.getSession(a);
      if (!s) throw new Error(`no session for ${addrKey(a)}`);
      return s;
    }));
  }
}

class MemIdentities extends S.IdentityKeyStore {
  readonly known = new Map<string, Buffer>();
  constructor(private readonly pair: S.IdentityKeyPair, private readonly registrationId: number) {
    super();
  }
  async getIdentityKey(): Promise<S.PrivateKey> {
    return this.pair.privateKey;
  }
  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  async saveIdentity(name: S.ProtocolAddress, key: S.PublicKey): Promise<boolean> {
    const old = this.known.get(addrKey(name));
    const changed = !!old && !old.equals(key.serialize());
    if (!old) this.known.set(addrKey(name), key.serialize());
    return changed;
  }
  async isTrustedIdentity(name: S.ProtocolAddress, key: S.PublicKey): Promise<boolean> {
    const old = this.known.get(addrKey(name));
    return !old || old.equals(key.serialize());
  }
  async getIdentity(name: S.ProtocolAddress): Promise<S.PublicKey | null> {
    const old = this.known.get(addrKey(name));
    return old ? S.PublicKey.deserialize(old) : null;
  }
}

class MemPreKeys extends S.PreKeyStore {
  readonly map = new Map<number, Buffer>();
  async savePreKey(id: number, record: S.PreKeyRecord): Promise<void> {
    this.map.set(id, record.serialize());
  }
  async getPreKey(id: number): Promise<S.PreKeyRecord> {
    const b = this.map.get(id);
    if (!b) throw new Error(`no prekey ${id}`);
    return S.PreKeyRecord.deserialize(b);
  }
  async removePreKey(id: number): Promise<void> {
    this.map.delete(id);
  }
}

class MemSignedPreKeys extends S.SignedPreKeyStore {
  readonly map = new Map<number, Buffer>();
  async saveSignedPreKey(id: number, record: S.SignedPreKeyRecord): Promise<void> {
    this.map.set(id, record.serialize());
  }
  async getSignedPreKey(id: number): Promise<S.SignedPreKeyRecord> {
    const b = this.map.get(id);
    if (!b) throw new Error(`no signed prekey ${id}`);
    return S.SignedPreKeyRecord.deserialize(b);
  }
}

function text(node: XmlElement | undefined): Buffer {
  return Buffer.from((node?.getText() ?? '').replace(/\s+/g, ''), 'base64');
}

export class ReferenceDevice {
  private readonly sessions = new MemSessions();
  private readonly identities: MemIdentities;
  private readonly preKeys = new MemPreKeys();
  private readonly signedPreKeys = new MemSignedPreKeys();
  private readonly signed: { id: number; publicKey: Buffer; signature: Buffer };

  private constructor(readonly jid: string, readonly deviceId: number, private readonly identity: S.IdentityKeyPair, preKeyCount: number) {
    this.identities = new MemIdentities(identity, randomInt(1, 16380));
    const spkPriv = S.PrivateKey.generate();
    const spkPub = spkPriv.getPublicKey();
    // OMEMO 0.3: the signature covers the 33-byte serialised key (0x05 prefix included).
    const signature = identity.privateKey.sign(spkPub.serialize());
    this.signed = { id: 1, publicKey: spkPub.serialize(), signature };
    void this.signedPreKeys.saveSignedPreKey(1, S.SignedPreKeyRecord.new(1, Date.now(), spkPub, spkPriv, signature));
    for (let id = 1; id <= preKeyCount; id++) {
      const priv = S.PrivateKey.generate();
      void this.preKeys.savePreKey(id, S.PreKeyRecord.new(id, priv.getPublicKey(), priv));
    }
  }

  static create(jid: string, opts: { preKeyCount?: number; deviceId?: number } = {}): ReferenceDevice {
    return new ReferenceDevice(jid, opts.deviceId ?? randomInt(1, 2 ** 31 - 1), S.IdentityKeyPair.generate(), opts.preKeyCount ?? 100);
  }

  get identityKey(): Uint8Array {
    return new Uint8Array(this.identity.publicKey.serialize());
  }

  bundle(): RefBundle {
    return {
      deviceId: this.deviceId,
      identityKey: this.identityKey,
      signedPreKey: { id: this.signed.id, publicKey: new Uint8Array(this.signed.publicKey), signature: new Uint8Array(this.signed.signature) },
      preKeys: [...this.preKeys.map].map(([id, b]) => ({ id, publicKey: new Uint8Array(S.PreKeyRecord.deserialize(b).publicKey().serialize()) })),
    };
  }

  /** The bundle as published in PEP (`<bundle xmlns='eu.siacs.conversations.axolotl'>`). */
  bundleElement(): XmlElement {
    const b = this.bundle();
    const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
    return el('bundle', { xmlns: NS },
      el('signedPreKeyPublic', { signedPreKeyId: String(b.signedPreKey.id) }, b64(b.signedPreKey.publicKey)),
      el('signedPreKeySignature', {}, b64(b.signedPreKey.signature)),
      el('identityKey', {}, b64(b.identityKey)),
      el('prekeys', {}, ...b.preKeys.map((k) => el('preKeyPublic', { preKeyId: String(k.id) }, b64(k.publicKey)))));
  }

  /**
   * Drops every one-time prekey and makes `count` new ones with new ids, as a client does whose prekeys were used up
   * and replaced (Profanity replaces each used one at once). Publish `bundleElement()` again afterwards.
   */
  replacePreKeys(count = this.preKeys.map.size): void {
    const next = Math.max(0, ...this.preKeys.map.keys()) + 1;
    this.preKeys.map.clear();
    for (let id = next; id < next + count; id++) {
      const priv = S.PrivateKey.generate();
      void this.preKeys.savePreKey(id, S.PreKeyRecord.new(id, priv.getPublicKey(), priv));
    }
  }

  get preKeyCount(): number {
    return this.preKeys.map.size;
  }

  private async ensureSession(r: RefRecipient): Promise<S.ProtocolAddress> {
    const address = S.ProtocolAddress.new(r.jid, r.deviceId);
    const existing = await this.sessions.getSession(address);
    if (existing?.hasCurrentState()) return address;
    if (!r.bundle) throw new Error(`no session with ${r.jid}:${r.deviceId} and no bundle`);
    const pk = r.bundle.preKeys[randomInt(r.bundle.preKeys.length)];
    // OMEMO bundles carry no registration id.
    const bundle = S.PreKeyBundle.new(0, r.deviceId, pk ? pk.id : null, pk ? S.PublicKey.deserialize(Buffer.from(pk.publicKey)) : null,
      r.bundle.signedPreKey.id, S.PublicKey.deserialize(Buffer.from(r.bundle.signedPreKey.publicKey)), Buffer.from(r.bundle.signedPreKey.signature),
      S.PublicKey.deserialize(Buffer.from(r.bundle.identityKey)));
    await S.processPreKeyBundle(bundle, address, this.sessions, this.identities);
    return address;
  }

  /** Encrypts for every recipient; throws if any recipient fails (a test device has no use for partial sends). */
  async encrypt(plaintext: string | null, recipients: RefRecipient[], opts: { ivBytes?: 12 | 16 } = {}): Promise<XmlElement> {
    const key = randomBytes(16);
    // 12 bytes is current practice; 16 lets tests imitate pre-0.3.1 senders.
    const iv = randomBytes(opts.ivBytes ?? 12);
    let payload: Buffer | undefined;
    let keyMaterial: Buffer;
    if (plaintext === null) {
      keyMaterial = randomBytes(32);
    } else {
      const c = createCipheriv('aes-128-gcm', key, iv);
      payload = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      keyMaterial = Buffer.concat([key, c.getAuthTag()]);
    }
    const keys: XmlElement[] = [];
    for (const r of recipients) {
      const address = await this.ensureSession(r);
      const msg = await S.signalEncrypt(keyMaterial, address, this.sessions, this.identities);
      const prekey = msg.type() === S.CiphertextMessageType.PreKey;
      keys.push(el('key', { rid: String(r.deviceId), ...(prekey ? { prekey: 'true' } : {}) }, msg.serialize().toString('base64')));
    }
    return el('encrypted', { xmlns: NS },
      el('header', { sid: String(this.deviceId) }, ...keys, el('iv', {}, iv.toString('base64'))),
      payload ? el('payload', {}, payload.toString('base64')) : undefined);
  }

  /** Returns the plaintext, or null for a KeyTransportElement. Throws on anything else. */
  async decrypt(element: XmlElement, senderJid: string): Promise<string | null> {
    if (!isXmlElement(element) || element.name !== 'encrypted' || element.attrs.xmlns !== NS) throw new Error('not an OMEMO 0.3 <encrypted>');
    const header = element.getChild('header');
    const sid = Number(header?.attrs.sid);
    const keyEl = header?.getChildren('key').find((k) => Number(k.attrs.rid) === this.deviceId);
    if (!header || !keyEl) throw new Error('no key for this device');
    const address = S.ProtocolAddress.new(senderJid, sid);
    const data = text(keyEl);
    const keyMaterial = keyEl.attrs.prekey === 'true' || keyEl.attrs.prekey === '1'
      ? await S.signalDecryptPreKey(S.PreKeySignalMessage.deserialize(data), address, this.sessions, this.identities, this.preKeys, this.signedPreKeys)
      : await S.signalDecrypt(S.SignalMessage.deserialize(data), address, this.sessions, this.identities);
    const payloadEl = element.getChild('payload');
    if (!payloadEl) return null;
    const iv = text(header.getChild('iv'));
    const d = createDecipheriv('aes-128-gcm', keyMaterial.subarray(0, 16), iv);
    d.setAuthTag(keyMaterial.subarray(16, 32));
    return Buffer.concat([d.update(text(payloadEl)), d.final()]).toString('utf8');
  }
}
