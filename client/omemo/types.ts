/** Shared shapes of the OMEMO 0.3 core (XEP-0384 v0.3, namespace eu.siacs.conversations.axolotl). */
import type { XmlElement } from './xml.js';

export const NS_OMEMO = 'eu.siacs.conversations.axolotl';
/** XEP-0384: device ids are random integers between 1 and 2^31 - 1. */
export const MAX_DEVICE_ID = 2 ** 31 - 1;
export const isDeviceId = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= MAX_DEVICE_ID;

export type Element = XmlElement;

/** Public keys are 33 bytes: the 0x05 (Curve25519) type byte followed by the 32-byte key. */
export interface SignedPreKeyPublic {
  id: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}
export interface PreKeyPublic {
  id: number;
  publicKey: Uint8Array;
}
export interface Bundle {
  deviceId: number;
  identityKey: Uint8Array;
  signedPreKey: SignedPreKeyPublic;
  preKeys: PreKeyPublic[];
}

/** One <key rid=..> of the header: the Signal message carrying the payload key for one device. */
export interface EncryptedKey {
  rid: number;
  prekey: boolean;
  data: Uint8Array;
}
/** The decoded <encrypted> element. `payload` is absent for a KeyTransportElement. */
export interface EncryptedPayload {
  sid: number;
  keys: EncryptedKey[];
  iv: Uint8Array;
  payload?: Uint8Array;
}

export type Trust = 'unverified' | 'verified' | 'compromised';
export interface TrustRecord {
  jid: string;
  deviceId: number;
  identityKey: Uint8Array;
  trust: Trust;
  firstSeen: number;
}

export interface Recipient {
  jid: string;
  deviceId: number;
  /** Needed only when there is no session with that device yet. */
  bundle?: Bundle;
}
export interface PerDeviceResult {
  jid: string;
  deviceId: number;
  ok: boolean;
  /** True when the key for this device is a PreKeySignalMessage (prekey="true"). */
  prekey?: boolean;
  error?: string;
}
export interface EncryptResult {
  element: Element;
  perDevice: PerDeviceResult[];
}

export type DecryptResult =
  | { status: 'ok'; plaintext: string; senderDeviceId: number; trust: Trust; prekey: boolean }
  | { status: 'key-only'; senderDeviceId: number; prekey: boolean }
  | { status: 'not-for-this-device' }
  | { status: 'no-session' }
  | { status: 'untrusted-identity'; senderDeviceId: number }
  | { status: 'duplicate' }
  | { status: 'malformed'; reason: string };

/** Thrown for any malformed OMEMO XML or key material handed to the codec. */
export class OmemoFormatError extends Error {
  override name = 'OmemoFormatError';
}
