/**
 * Encrypted file sharing as OMEMO clients do it (XEP-0454): the file is encrypted with AES-256-GCM in the tab, the
 * 16-byte tag appended to the ciphertext (as Conversations does), uploaded as ciphertext, and shared as
 * `aesgcm://host/path#<hex iv><hex key>` inside the encrypted body. WebCrypto only: the same code runs in tabs,
 * the bench page and Node's tests.
 */

/** IV bytes we send; 16-byte IVs (older senders) are accepted on receipt. */
export const IV_BYTES = 12;
export const KEY_BYTES = 32;
export const TAG_BYTES = 16;

export interface AesgcmLink {
  /** Where the ciphertext is: the same host and path with the https scheme. */
  httpsUrl: string;
  iv: Uint8Array;
  key: Uint8Array;
  /** The last path segment, URI-decoded when it can be: the file's name as the sender's upload service kept it. */
  name: string;
}

export class FileDecryptError extends Error {}

const HEX_FRAGMENT = /^(?:[0-9a-f]{88}|[0-9a-f]{96})$/i;
const MAX_URL_CHARS = 4096;

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Reads an aesgcm:// link; null when it is not one we can use (other scheme, no host, a fragment that is not
 * 88 or 96 hex characters, credentials or a port out of range in the URL).
 */
export function parseAesgcmUrl(text: string): AesgcmLink | null {
  const raw = text.trim();
  if (raw.length > MAX_URL_CHARS || !/^aesgcm:\/\//i.test(raw) || /\s/.test(raw)) return null;
  const rest = raw.slice('aesgcm://'.length);
  if (rest.startsWith('/') || rest.startsWith('\\')) return null; // no host (the URL parser would take the path for one)
  let url: URL;
  try {
    // Parsed as https so the URL parser applies the special-scheme rules (host required, path normalised).
    url = new URL(`https://${rest}`);
  } catch {
    return null;
  }
  const fragment = url.hash.slice(1);
  if (!HEX_FRAGMENT.test(fragment) || !url.hostname || url.username || url.password) return null;
  const ivLength = fragment.length === 88 ? 12 : 16;
  const iv = fromHex(fragment.slice(0, ivLength * 2));
  const key = fromHex(fragment.slice(ivLength * 2));
  url.hash = '';
  const last = url.pathname.split('/').pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // keep it as written
  }
  return { httpsUrl: url.href, iv, key, name: name || 'file' };
}

/** True when the whole (trimmed) text is one aesgcm:// link: such an OMEMO message is a file, not text. */
export function isAesgcmMessage(text: string): boolean {
  return parseAesgcmUrl(text) !== null;
}

/** The link for a file uploaded (as ciphertext) to `getUrl`. */
export function formatAesgcmUrl(getUrl: string, iv: Uint8Array, key: Uint8Array): string {
  const url = new URL(getUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not an http(s) URL');
  if ((iv.length !== 12 && iv.length !== 16) || key.length !== KEY_BYTES) throw new Error('bad iv or key length');
  url.hash = '';
  return `aesgcm://${url.href.slice(url.protocol.length + 2)}#${toHex(iv)}${toHex(key)}`;
}

export interface EncryptedFile {
  /** ciphertext ‖ 16-byte tag */
  bytes: Uint8Array;
  iv: Uint8Array;
  key: Uint8Array;
}

export async function encryptFile(plain: Uint8Array | ArrayBuffer): Promise<EncryptedFile> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const cryptoKey = await crypto.subtle.importKey('raw', key as BufferSource, { name: 'AES-GCM' }, false, ['encrypt']);
  // WebCrypto's AES-GCM output already is ciphertext followed by the tag.
  const bytes = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: TAG_BYTES * 8 }, cryptoKey, plain as BufferSource));
  return { bytes, iv, key };
}

/** Decrypts ciphertext ‖ tag; throws FileDecryptError for a wrong key, a wrong tag or a file too short to hold a tag. */
export async function decryptFile(data: Uint8Array | ArrayBuffer, iv: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
  if (key.length !== KEY_BYTES || (iv.length !== 12 && iv.length !== 16)) throw new FileDecryptError('bad key or iv length');
  if (data.byteLength < TAG_BYTES) throw new FileDecryptError('too short to hold the tag');
  try {
    const cryptoKey = await crypto.subtle.importKey('raw', key as BufferSource, { name: 'AES-GCM' }, false, ['decrypt']);
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: iv as BufferSource, tagLength: TAG_BYTES * 8 }, cryptoKey, data as BufferSource));
  } catch {
    throw new FileDecryptError('the file does not match its key (wrong key or tag)');
  }
}
