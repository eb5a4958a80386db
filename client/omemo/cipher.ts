/**
 * OMEMO 0.3 message encryption (XEP-0384 v0.3 §4.5/§4.7): the body is AES-128-GCM encrypted once with a fresh key and
 * a 12-byte IV; each recipient device gets key ‖ GCM tag (32 bytes) through its Signal session.
 */
import { concatBytes, randomBytes, toArrayBuffer } from './bytes.js';
import { buildEncrypted, parseEncrypted } from './codec.js';
import type { OmemoDevice } from './device.js';
import { preKeyMessageIdentity } from './prekey-message.js';
import { classifySignalError, hasSession, signalDecrypt, signalEncrypt, startSession, verifySignature } from './signal-adapter.js';
import type { Bundle, DecryptResult, EncryptedKey, EncryptResult, PerDeviceResult, Recipient } from './types.js';
import { OmemoFormatError } from './types.js';

const KEY_BYTES = 16;
const TAG_BYTES = 16;
const IV_BYTES = 12;

async function aesGcmEncrypt(plaintext: Uint8Array): Promise<{ key: Uint8Array; iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array }> {
  const key = randomBytes(KEY_BYTES);
  const iv = randomBytes(IV_BYTES);
  const k = await crypto.subtle.importKey('raw', toArrayBuffer(key), 'AES-GCM', false, ['encrypt']);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: toArrayBuffer(iv), tagLength: 128 }, k, toArrayBuffer(plaintext)));
  return { key, iv, ciphertext: sealed.slice(0, sealed.byteLength - TAG_BYTES), tag: sealed.slice(sealed.byteLength - TAG_BYTES) };
}

async function aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', toArrayBuffer(key), 'AES-GCM', false, ['decrypt']);
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: toArrayBuffer(iv), tagLength: 128 }, k, toArrayBuffer(sealed)));
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Builds a session from a bundle after checking its signed prekey; picks a random one-time prekey (XEP-0384 §4.4). */
async function sessionFromBundle(device: OmemoDevice, jid: string, bundle: Bundle): Promise<void> {
  if (!(await verifySignature(bundle.identityKey, bundle.signedPreKey.publicKey, bundle.signedPreKey.signature))) {
    throw new Error('bundle signed prekey signature is invalid');
  }
  if (!(await device.store.checkIdentity(jid, bundle.deviceId, bundle.identityKey))) {
    throw new Error('identity key differs from the one known for this device (or device marked compromised)');
  }
  const preKey = bundle.preKeys.length ? bundle.preKeys[Math.floor(Math.random() * bundle.preKeys.length)] : undefined;
  await startSession(device.store, jid, bundle, preKey);
}

async function keyFor(device: OmemoDevice, r: Recipient, keyMaterial: Uint8Array): Promise<{ result: PerDeviceResult; key?: EncryptedKey }> {
  const base = { jid: r.jid, deviceId: r.deviceId };
  try {
    if (r.jid === device.accountJid && r.deviceId === device.deviceId) return { result: { ...base, ok: false, error: 'this is our own device' } };
    const trust = await device.store.getTrust(r.jid, r.deviceId);
    // Never hand a message key to a device the user marked compromised.
    if (trust?.trust === 'compromised') return { result: { ...base, ok: false, error: 'device marked compromised' } };
    if (!(await hasSession(device.store, r.jid, r.deviceId))) {
      if (!r.bundle) return { result: { ...base, ok: false, error: 'no session and no bundle' } };
      if (r.bundle.deviceId !== r.deviceId) return { result: { ...base, ok: false, error: 'bundle is for another device' } };
      await sessionFromBundle(device, r.jid, r.bundle);
    }
    const { prekey, body } = await signalEncrypt(device.store, r.jid, r.deviceId, keyMaterial);
    return { result: { ...base, ok: true, prekey }, key: { rid: r.deviceId, prekey, data: body } };
  } catch (e) {
    return { result: { ...base, ok: false, error: errorText(e) } };
  }
}

async function encryptKeys(device: OmemoDevice, keyMaterial: Uint8Array, recipients: Recipient[]) {
  // One failing device (bad bundle, changed identity) must not stop the message for the others.
  const outcomes = await Promise.all(recipients.map((r) => keyFor(device, r, keyMaterial)));
  return { keys: outcomes.flatMap((o) => (o.key ? [o.key] : [])), perDevice: outcomes.map((o) => o.result) };
}

/**
 * Encrypts `plaintext` for every recipient device (include the account's own other devices for their copy).
 * The element is returned even when no device succeeded; check `perDevice` before sending.
 */
export async function encrypt(device: OmemoDevice, plaintext: string, recipients: Recipient[]): Promise<EncryptResult> {
  const { key, iv, ciphertext, tag } = await aesGcmEncrypt(new TextEncoder().encode(plaintext));
  const { keys, perDevice } = await encryptKeys(device, concatBytes(key, tag), recipients);
  return { element: buildEncrypted({ sid: device.deviceId, keys, iv, payload: ciphertext }), perDevice };
}

/** A KeyTransportElement (no payload): completes or advances sessions, e.g. to answer a PreKeySignalMessage. */
export async function encryptKeyTransport(device: OmemoDevice, recipients: Recipient[]): Promise<EncryptResult> {
  const { keys, perDevice } = await encryptKeys(device, randomBytes(KEY_BYTES + TAG_BYTES), recipients);
  return { element: buildEncrypted({ sid: device.deviceId, keys, iv: randomBytes(IV_BYTES) }), perDevice };
}

export async function decrypt(device: OmemoDevice, element: unknown, senderJid: string): Promise<DecryptResult> {
  let parsed;
  try {
    parsed = parseEncrypted(element);
  } catch (e) {
    if (e instanceof OmemoFormatError) return { status: 'malformed', reason: e.message };
    throw e;
  }
  const senderDeviceId = parsed.sid;
  const ours = parsed.keys.find((k) => k.rid === device.deviceId);
  if (!ours) return { status: 'not-for-this-device' };
  if (senderJid === device.accountJid && senderDeviceId === device.deviceId) return { status: 'malformed', reason: 'message claims to come from this device' };

  if (ours.prekey) {
    const identity = preKeyMessageIdentity(ours.data);
    if (!identity) return { status: 'malformed', reason: 'unreadable PreKeySignalMessage' };
    // The JS library does not await its own trust check on this path; do it here.
    if (!(await device.store.checkIdentity(senderJid, senderDeviceId, identity))) return { status: 'untrusted-identity', senderDeviceId };
  } else if (!(await hasSession(device.store, senderJid, senderDeviceId))) {
    return { status: 'no-session' };
  }

  let keyMaterial: Uint8Array;
  try {
    keyMaterial = await signalDecrypt(device.store, senderJid, senderDeviceId, ours.data, ours.prekey);
  } catch (e) {
    const kind = classifySignalError(e);
    if (kind === 'duplicate') return { status: 'duplicate' };
    if (kind === 'untrusted-identity') return { status: 'untrusted-identity', senderDeviceId };
    if (kind === 'no-session') return { status: 'no-session' };
    return { status: 'malformed', reason: `signal: ${errorText(e)}` };
  }

  if (!parsed.payload) return { status: 'key-only', senderDeviceId, prekey: ours.prekey };

  // key ‖ tag (32 bytes) is the OMEMO 0.3 norm; a bare 16-byte key means the tag trails the payload (legacy senders).
  if (keyMaterial.byteLength < KEY_BYTES) return { status: 'malformed', reason: 'key material too short' };
  const key = keyMaterial.slice(0, KEY_BYTES);
  const sealed = keyMaterial.byteLength >= KEY_BYTES + TAG_BYTES
    ? concatBytes(parsed.payload, keyMaterial.slice(KEY_BYTES, KEY_BYTES + TAG_BYTES))
    : parsed.payload;
  let plain: Uint8Array;
  try {
    plain = await aesGcmDecrypt(key, parsed.iv, sealed);
  } catch {
    return { status: 'malformed', reason: 'payload failed authentication' };
  }
  const trust = (await device.store.getTrust(senderJid, senderDeviceId))?.trust ?? 'unverified';
  return { status: 'ok', plaintext: new TextDecoder().decode(plain), senderDeviceId, trust, prekey: ours.prekey };
}
