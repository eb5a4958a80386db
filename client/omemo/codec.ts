/**
 * OMEMO 0.3 XML (XEP-0384 v0.3, eu.siacs.conversations.axolotl) in both directions: <encrypted>, <bundle>, <list>.
 * Every malformed input becomes an OmemoFormatError; nothing else is thrown.
 */
import { fromBase64, toBase64 } from './bytes.js';
import { el, isXmlElement, parseXmlString, type XmlElement } from './xml.js';
import { isDeviceId, NS_OMEMO, OmemoFormatError, type Bundle, type EncryptedKey, type EncryptedPayload, type PreKeyPublic } from './types.js';

/** Upper bounds that keep a hostile element from costing us more than a normal one. */
const MAX_KEYS = 500;
const MAX_PREKEYS = 1000;
const MAX_DEVICES = 1000;

function fail(message: string): never {
  throw new OmemoFormatError(message);
}

function expectElement(x: unknown, name: string): XmlElement {
  if (!isXmlElement(x)) fail(`expected <${name}> element`);
  if (x.name !== name || x.attrs.xmlns !== NS_OMEMO) fail(`expected <${name} xmlns='${NS_OMEMO}'>, got <${x.name}>`);
  return x;
}

function b64(text: string | undefined, what: string): Uint8Array {
  const bytes = fromBase64(text ?? '');
  if (!bytes || bytes.byteLength === 0) fail(`${what}: not base64`);
  return bytes;
}

function uintAttr(node: XmlElement, attr: string, what: string, isValid: (n: number) => boolean = (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff): number {
  const raw = node.attrs[attr];
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) fail(`${what}: missing or non-numeric ${attr}`);
  const n = Number(raw);
  if (!isValid(n)) fail(`${what}: ${attr} out of range`);
  return n;
}

function publicKey(text: string | undefined, what: string): Uint8Array {
  const key = b64(text, what);
  // OMEMO 0.3 serialises Curve25519 keys with the 0x05 type byte.
  if (key.byteLength !== 33 || key[0] !== 0x05) fail(`${what}: expected a 33-byte key starting with 0x05`);
  return key;
}

/** Parses a string (e.g. a stored stanza) into an element, mapping XML errors to OmemoFormatError. */
export function parseXml(text: string): XmlElement {
  try {
    return parseXmlString(text);
  } catch (e) {
    fail(`not well-formed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// --- <encrypted> --------------------------------------------------------------------------------------------------

export function buildEncrypted(p: EncryptedPayload): XmlElement {
  return el('encrypted', { xmlns: NS_OMEMO },
    el('header', { sid: String(p.sid) },
      ...p.keys.map((k) => el('key', { rid: String(k.rid), prekey: k.prekey ? 'true' : undefined }, toBase64(k.data))),
      el('iv', {}, toBase64(p.iv))),
    p.payload ? el('payload', {}, toBase64(p.payload)) : undefined);
}

export function parseEncrypted(element: unknown): EncryptedPayload {
  const enc = expectElement(element, 'encrypted');
  const header = enc.getChild('header');
  if (!header) fail('encrypted: missing <header>');
  const sid = uintAttr(header, 'sid', 'header', isDeviceId);
  const keyEls = header.getChildren('key');
  if (keyEls.length > MAX_KEYS) fail('header: too many keys');
  const keys: EncryptedKey[] = keyEls.map((k) => {
    const prekey = k.attrs.prekey;
    if (prekey !== undefined && !['true', 'false', '1', '0'].includes(prekey)) fail('key: bad prekey attribute');
    return { rid: uintAttr(k, 'rid', 'key', isDeviceId), prekey: prekey === 'true' || prekey === '1', data: b64(k.getText(), 'key') };
  });
  const ivEl = header.getChild('iv');
  if (!ivEl) fail('header: missing <iv>');
  const iv = b64(ivEl.getText(), 'iv');
  // Conversations sends 12 bytes (XEP-0384 0.3.1+); older clients sent 16. Both are valid GCM nonces.
  if (iv.byteLength !== 12 && iv.byteLength !== 16) fail(`iv: expected 12 or 16 bytes, got ${iv.byteLength}`);
  const payloadEl = enc.getChild('payload');
  const out: EncryptedPayload = { sid, keys, iv };
  if (payloadEl) out.payload = b64(payloadEl.getText(), 'payload');
  return out;
}

// --- <bundle> -----------------------------------------------------------------------------------------------------

export function buildBundle(b: Bundle): XmlElement {
  return el('bundle', { xmlns: NS_OMEMO },
    el('signedPreKeyPublic', { signedPreKeyId: String(b.signedPreKey.id) }, toBase64(b.signedPreKey.publicKey)),
    el('signedPreKeySignature', {}, toBase64(b.signedPreKey.signature)),
    el('identityKey', {}, toBase64(b.identityKey)),
    el('prekeys', {}, ...b.preKeys.map((k) => el('preKeyPublic', { preKeyId: String(k.id) }, toBase64(k.publicKey)))));
}

/** The bundle node holds no device id (it is in the node name `…bundles:ID`), so the caller supplies it. */
export function parseBundle(element: unknown, deviceId: number): Bundle {
  if (!isDeviceId(deviceId)) fail('bundle: invalid device id');
  const bundle = expectElement(element, 'bundle');
  const spkEl = bundle.getChild('signedPreKeyPublic');
  if (!spkEl) fail('bundle: missing <signedPreKeyPublic>');
  const sigEl = bundle.getChild('signedPreKeySignature');
  if (!sigEl) fail('bundle: missing <signedPreKeySignature>');
  const idEl = bundle.getChild('identityKey');
  if (!idEl) fail('bundle: missing <identityKey>');
  const prekeysEl = bundle.getChild('prekeys');
  if (!prekeysEl) fail('bundle: missing <prekeys>');
  const signature = b64(sigEl.getText(), 'signedPreKeySignature');
  if (signature.byteLength !== 64) fail('signedPreKeySignature: expected 64 bytes');
  const pkEls = prekeysEl.getChildren('preKeyPublic');
  if (pkEls.length > MAX_PREKEYS) fail('bundle: too many prekeys');
  const preKeys: PreKeyPublic[] = pkEls.map((k) => ({ id: uintAttr(k, 'preKeyId', 'preKeyPublic'), publicKey: publicKey(k.getText(), 'preKeyPublic') }));
  return {
    deviceId,
    identityKey: publicKey(idEl.getText(), 'identityKey'),
    signedPreKey: { id: uintAttr(spkEl, 'signedPreKeyId', 'signedPreKeyPublic'), publicKey: publicKey(spkEl.getText(), 'signedPreKeyPublic'), signature },
    preKeys,
  };
}

// --- <list> (device list) -----------------------------------------------------------------------------------------

export function buildDeviceList(ids: number[]): XmlElement {
  return el('list', { xmlns: NS_OMEMO }, ...[...new Set(ids)].map((id) => el('device', { id: String(id) })));
}

/** Invalid <device/> entries are skipped rather than failing the whole list: one bad id must not hide the others. */
export function parseDeviceList(element: unknown): number[] {
  const list = expectElement(element, 'list');
  const ids = new Set<number>();
  for (const d of list.getChildren('device')) {
    const raw = d.attrs.id;
    if (raw === undefined || !/^\d+$/.test(raw)) continue;
    const id = Number(raw);
    if (isDeviceId(id)) ids.add(id);
    if (ids.size >= MAX_DEVICES) break;
  }
  return [...ids];
}
