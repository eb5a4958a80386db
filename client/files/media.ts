/**
 * Fetching a shared file for the tab: always through Parley's own /media route (the CSP allows no other origin, and
 * the file's server never sees the reader's address), bounded in bytes, then (for XEP-0454 links) decrypted here.
 */
import { decryptFile, FileDecryptError, parseAesgcmUrl } from './aesgcm.js';

/** The most a tab reads into memory for one file (the server's own limit usually stops it sooner). */
export const MAX_FETCH_BYTES = 100 * 1024 * 1024;

export type MediaFailure = 'too-large' | 'unavailable' | 'undecryptable';

export class MediaError extends Error {
  constructor(readonly kind: MediaFailure, message: string) {
    super(message);
  }
}

export interface FetchedFile {
  bytes: Uint8Array;
  /** The type the file's server declared (plain files only; an encrypted file's server sees only ciphertext). */
  type: string | null;
}

/** The server answers at most 4 fetches per account at once (429 beyond): a conversation full of pictures waits here. */
const MAX_PARALLEL = 3;
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  while (running >= MAX_PARALLEL) {
    await new Promise<void>((r) => waiting.push(r));
    if (signal?.aborted) {
      waiting.shift()?.(); // the place this one was woken for goes to the next
      throw new MediaError('unavailable', 'aborted');
    }
  }
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export function fetchShared(url: string, limit = MAX_FETCH_BYTES, signal?: AbortSignal): Promise<FetchedFile> {
  return slot(() => fetchNow(url, limit, signal), signal);
}

async function fetchNow(url: string, limit: number, signal?: AbortSignal): Promise<FetchedFile> {
  let res: Response;
  try {
    res = await fetch(`/media?url=${encodeURIComponent(url)}`, { headers: { 'x-parley-media': '1' }, credentials: 'same-origin', signal });
  } catch {
    throw new MediaError('unavailable', 'network');
  }
  if (res.status === 413) throw new MediaError('too-large', 'too large');
  if (!res.ok || !res.body) throw new MediaError('unavailable', `HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    void res.body.cancel();
    throw new MediaError('too-large', 'too large');
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        void reader.cancel();
        throw new MediaError('too-large', 'too large');
      }
      parts.push(value);
    }
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError('unavailable', 'cut off');
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return { bytes, type: res.headers.get('x-file-type') };
}

/** An aesgcm:// link's file, decrypted; nothing is returned unless the whole file matched its key and tag. */
export async function fetchEncrypted(link: string, signal?: AbortSignal): Promise<{ bytes: Uint8Array; name: string }> {
  const parsed = parseAesgcmUrl(link);
  if (!parsed) throw new MediaError('undecryptable', 'not a usable aesgcm link');
  const { bytes } = await fetchShared(parsed.httpsUrl, MAX_FETCH_BYTES, signal);
  try {
    return { bytes: await decryptFile(bytes, parsed.iv, parsed.key), name: parsed.name };
  } catch (err) {
    if (err instanceof FileDecryptError) throw new MediaError('undecryptable', err.message);
    throw err;
  }
}

/** Types a tab plays or shows inline, by file name (an encrypted file carries no type). */
const VIDEO_TYPES: Record<string, string> = { mp4: 'video/mp4', m4v: 'video/mp4', webm: 'video/webm', ogv: 'video/ogg', mov: 'video/quicktime' };
const IMAGE_EXTENSIONS = /\.(?:png|jpe?g|gif|webp)$/i;

export function videoTypeOf(name: string, declared?: string | null): string | null {
  if (declared && /^video\/(?:mp4|webm|ogg|quicktime)$/.test(declared)) return declared;
  const ext = /\.([a-z0-9]{2,4})$/i.exec(name)?.[1]?.toLowerCase();
  return ext ? (VIDEO_TYPES[ext] ?? null) : null;
}

export function looksLikeImage(name: string, declared?: string | null): boolean {
  return (declared ? /^image\/(?:png|jpeg|gif|webp)$/.test(declared) : false) || IMAGE_EXTENSIONS.test(name);
}

/**
 * Files already fetched (and decrypted) in this tab, newest last, at most CACHE_BYTES in all: a bubble that the
 * virtual list unmounts and mounts again while scrolling shows its file again without another download.
 */
const CACHE_BYTES = 64 * 1024 * 1024;
const cache = new Map<string, Promise<{ bytes: Uint8Array }>>();
const cachedSize = new Map<string, number>();
let cacheTotal = 0;

export function cachedLoad<T extends { bytes: Uint8Array }>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // to the end: most recently used
    cache.set(key, hit);
    return hit as Promise<T>;
  }
  const p = load();
  cache.set(key, p);
  p.then(
    (v) => {
      if (cache.get(key) !== p) return;
      cachedSize.set(key, v.bytes.byteLength);
      cacheTotal += v.bytes.byteLength;
      for (const [k] of cache) {
        if (cacheTotal <= CACHE_BYTES || k === key) break;
        cacheTotal -= cachedSize.get(k) ?? 0;
        cachedSize.delete(k);
        cache.delete(k);
      }
      if (cacheTotal > CACHE_BYTES) {
        cacheTotal -= v.bytes.byteLength; // larger than the whole cache: not kept
        cachedSize.delete(key);
        cache.delete(key);
      }
    },
    () => cache.delete(key), // failures are not remembered: a later mount tries again
  );
  return p;
}
