/**
 * The ONLY module that imports @privacyresearch/libsignal-protocol-typescript (GPL-3.0-only, unmaintained, pinned 0.0.16).
 * Keeping it behind this narrow surface lets us swap the Signal implementation without touching the rest of OMEMO.
 */
import * as Signal from '@privacyresearch/libsignal-protocol-typescript';
import type { KeyPairType, StorageType } from '@privacyresearch/libsignal-protocol-typescript';
import { toArrayBuffer } from './bytes.js';
import type { Bundle, PreKeyPublic } from './types.js';

export type { KeyPairType, StorageType };

/** Mirrors the library's Direction enum (1 = sending, 2 = receiving) without leaking its import. */
export const enum SignalDirection {
  Sending = 1,
  Receiving = 2,
}

export interface GeneratedSignedPreKey {
  keyId: number;
  keyPair: KeyPairType;
  signature: ArrayBuffer;
}

export const generateIdentityKeyPair = (): Promise<KeyPairType> => Signal.KeyHelper.generateIdentityKeyPair();
export const generateRegistrationId = (): number => Signal.KeyHelper.generateRegistrationId();
/** The library signs the 33-byte (0x05-prefixed) public key, which is what OMEMO 0.3 peers verify. */
export const generateSignedPreKey = (identity: KeyPairType, keyId: number): Promise<GeneratedSignedPreKey> =>
  Signal.KeyHelper.generateSignedPreKey(identity, keyId);
export const generatePreKey = (keyId: number): Promise<{ keyId: number; keyPair: KeyPairType }> =>
  Signal.KeyHelper.generatePreKey(keyId);

type CurveInit = () => Promise<{ Curve: Signal.Curve }>;
let curve: Promise<Signal.Curve> | undefined;
function getCurve(): Promise<Signal.Curve> {
  // The default export is a CommonJS `exports.default`; bundlers and Node disagree on how it surfaces.
  const mod = Signal as unknown as { default?: CurveInit | { default?: CurveInit } };
  const init = typeof mod.default === 'function' ? mod.default : mod.default?.default;
  if (!init) throw new Error('libsignal-protocol-typescript: curve initialiser not found');
  curve ??= init().then((x) => x.Curve);
  return curve;
}

/** True when `signature` is a valid XEdDSA signature by `identityKey` (33 bytes) over `signedPreKey` (33 bytes). */
export async function verifySignature(identityKey: Uint8Array, signedPreKey: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const c = await getCurve();
  try {
    // The library throws on an invalid signature (and resolves to a meaningless boolean otherwise).
    await c.async.verifySignature(toArrayBuffer(identityKey), toArrayBuffer(signedPreKey), toArrayBuffer(signature));
    return true;
  } catch {
    return false;
  }
}

/**
 * The library asks isTrustedIdentity(bareJid) but saves identities per `jid.deviceId` (see NOTES.md). We bind each
 * operation to one device so the store always receives the full encoded address and can keep trust per device.
 */
function boundTo(store: StorageType, address: Signal.SignalProtocolAddress): StorageType {
  const encoded = address.toString();
  const bound = Object.create(store) as StorageType;
  bound.isTrustedIdentity = (_name, key, direction) => store.isTrustedIdentity(encoded, key, direction);
  return bound;
}

function cipherFor(store: StorageType, jid: string, deviceId: number): Signal.SessionCipher {
  const address = new Signal.SignalProtocolAddress(jid, deviceId);
  return new Signal.SessionCipher(boundTo(store, address), address);
}

/** X3DH as initiator from a bundle. OMEMO bundles carry no registration id: 0 keeps hasOpenSession() truthful. */
export async function startSession(store: StorageType, jid: string, bundle: Bundle, preKey: PreKeyPublic | undefined): Promise<void> {
  const address = new Signal.SignalProtocolAddress(jid, bundle.deviceId);
  const builder = new Signal.SessionBuilder(boundTo(store, address), address);
  await builder.processPreKey({
    registrationId: 0,
    identityKey: toArrayBuffer(bundle.identityKey),
    signedPreKey: {
      keyId: bundle.signedPreKey.id,
      publicKey: toArrayBuffer(bundle.signedPreKey.publicKey),
      signature: toArrayBuffer(bundle.signedPreKey.signature),
    },
    preKey: preKey ? { keyId: preKey.id, publicKey: toArrayBuffer(preKey.publicKey) } : undefined,
  });
}

export const hasSession = (store: StorageType, jid: string, deviceId: number): Promise<boolean> =>
  cipherFor(store, jid, deviceId).hasOpenSession();

/** Encrypts for one device; `prekey` is true while the peer has not answered yet (PreKeySignalMessage). */
export async function signalEncrypt(store: StorageType, jid: string, deviceId: number, plaintext: Uint8Array): Promise<{ prekey: boolean; body: Uint8Array }> {
  const result = await cipherFor(store, jid, deviceId).encrypt(toArrayBuffer(plaintext));
  // The library returns a binary string despite its ArrayBuffer typing.
  const raw = result.body as unknown;
  let body: Uint8Array;
  if (typeof raw === 'string') {
    body = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) body[i] = raw.charCodeAt(i) & 0xff;
  } else if (raw instanceof ArrayBuffer) {
    body = new Uint8Array(raw.slice(0));
  } else {
    throw new Error('unexpected ciphertext type from Signal library');
  }
  return { prekey: result.type === 3, body };
}

export async function signalDecrypt(store: StorageType, jid: string, deviceId: number, message: Uint8Array, prekey: boolean): Promise<Uint8Array> {
  const cipher = cipherFor(store, jid, deviceId);
  const out = prekey
    ? await cipher.decryptPreKeyWhisperMessage(toArrayBuffer(message), 'binary')
    : await cipher.decryptWhisperMessage(toArrayBuffer(message), 'binary');
  return new Uint8Array(out);
}

export type SignalFailure = 'duplicate' | 'untrusted-identity' | 'no-session' | 'other';

/** Maps the library's untyped errors onto the few cases callers act on. */
export function classifySignalError(e: unknown): SignalFailure {
  const name = e instanceof Error ? e.name : '';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'MessageCounterError') return 'duplicate';
  if (/Identity key changed|Unknown identity key/.test(message)) return 'untrusted-identity';
  if (/^No record for|No session/.test(message)) return 'no-session';
  return 'other';
}
