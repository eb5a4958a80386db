/**
 * Avatars of contacts and of the account: XEP-0084 (PEP, preferred) and XEP-0153 (vcard-temp, the fallback).
 *
 * `AvatarCache` is one per process: pictures on disk under `<dataDir>/avatars/<sha1>.webp`, keyed by the SHA-1 of the
 * bytes the contact published, shared by every account (a hash fetched once is never fetched again, and two sessions
 * asking for the same hash at once share one fetch). Nothing reaches the disk unless the bytes hash to the id and
 * sharp could decode them within the pixel bound and re-encode them (at most 256x256, WebP): a decompression bomb, a
 * non-image or an oversized blob is refused with a logged reason.
 *
 * `Avatars` is one per account session: which contact has which avatar (only hashes that are stored), `avatar`
 * events to the tabs, and publishing our own.
 */
import { Serial } from './serial.js';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile, unlink, access } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { Logger } from '../app/logger.js';
import type { AvatarDTO } from '../realtime/contract/avatar.js';
import {
  AvatarParseError, buildDataGet, buildDataPayload, buildMetadataPayload, buildVcardGet, dataFromResult, isSha1Hex, MAX_AVATAR_BYTES, metadataFromItem,
  NS_AVATAR_DATA, NS_AVATAR_METADATA, NS_VCARD_TEMP, parsePhotoUpdate, photoFromVcard, replacePhoto,
} from '../stanza/avatar.js';
import { bareOf } from '../stanza/jid.js';
import { newPublishMemory, publishWithOptions } from './pep-publish.js';
import { DEFAULT_STANZA_LIMITS } from '../xmpp/bounded-parser.js';

/** Decoded pixels allowed (sharp's limitInputPixels): a PNG declaring 30000x30000 is refused before decoding. */
export const AVATAR_MAX_PIXELS = 4096 * 4096;
/** Stored avatars are at most this wide and high. */
export const AVATAR_STORED_SIZE = 256;
/** Our own avatar as published (the tab sends 192x192; anything larger is scaled down). */
export const OWN_AVATAR_SIZE = 192;

/** Where the avatar cache lives under the data directory. */
export function avatarDir(dataDir: string): string {
  return path.join(dataDir, 'avatars');
}

export class AvatarRefused extends Error {
  override name = 'AvatarRefused';
}

/** Re-encodes untrusted bytes: WebP (or PNG) of at most `size`x`size`, or throws AvatarRefused with the reason. */
export async function reencode(bytes: Buffer, format: 'webp' | 'png', size = AVATAR_STORED_SIZE): Promise<{ data: Buffer; width: number; height: number }> {
  try {
    const image = sharp(bytes, { limitInputPixels: AVATAR_MAX_PIXELS, failOn: 'error' });
    const meta = await image.metadata();
    if (!meta.width || !meta.height) throw new AvatarRefused('no image dimensions');
    const resized = image.rotate().resize(size, size, { fit: 'inside', withoutEnlargement: true });
    const { data, info } = await (format === 'webp' ? resized.webp({ quality: 85 }) : resized.png()).toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof AvatarRefused) throw err;
    throw new AvatarRefused(`not a usable image: ${(err as Error).message}`);
  }
}

export function sha1Hex(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex');
}

export interface AvatarCacheOptions {
  /** Largest avatar accepted, declared and fetched. */
  maxBytes: number;
}

/**
 * The largest avatar that can reach us at all: its base64 must fit in one stanza under the connection's text bound
 * (a bigger stanza ends the XMPP session), with room for the envelope.
 */
export function fetchableBytes(maxTextBytes = DEFAULT_STANZA_LIMITS.maxTextBytes): number {
  return Math.min(MAX_AVATAR_BYTES, Math.floor(((maxTextBytes - 4096) * 3) / 4));
}

export class AvatarCache {
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly known = new Set<string>();
  readonly maxBytes: number;

  constructor(readonly dir: string, private readonly log: Logger, opts: Partial<AvatarCacheOptions> = {}) {
    this.maxBytes = opts.maxBytes ?? fetchableBytes();
  }

  /** Where the picture of `hash` is (whether or not it exists). Only ever called with a checked hash. */
  file(hash: string): string {
    if (!isSha1Hex(hash)) throw new Error('not a SHA-1');
    return path.join(this.dir, `${hash}.webp`);
  }

  async has(hash: string): Promise<boolean> {
    if (!isSha1Hex(hash)) return false;
    if (this.known.has(hash)) return true;
    try {
      await access(this.file(hash));
      this.known.add(hash);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Makes sure `hash` is stored: fetches it with `fetch` unless it is stored already or being fetched (then joins that).
   * True when stored; false when refused (logged, nothing stored). `fetch` errors count as refusals.
   */
  ensure(hash: string, fetch: () => Promise<Buffer>, context: Record<string, unknown> = {}): Promise<boolean> {
    if (!isSha1Hex(hash)) return Promise.resolve(false);
    const running = this.inFlight.get(hash);
    if (running) return running;
    const run = (async () => {
      if (await this.has(hash)) return true;
      try {
        const bytes = await fetch();
        await this.store(hash, bytes);
        return true;
      } catch (err) {
        const reason = err instanceof AvatarRefused || err instanceof AvatarParseError ? err.message : ((err as { condition?: string }).condition ?? (err as Error).message);
        this.log.info({ ...context, hash, reason }, 'avatar refused');
        return false;
      }
    })().finally(() => this.inFlight.delete(hash));
    this.inFlight.set(hash, run);
    return run;
  }

  /** Checks and stores bytes that claim to be `hash`. Throws AvatarRefused. */
  async store(hash: string, bytes: Buffer): Promise<void> {
    if (bytes.length > this.maxBytes) throw new AvatarRefused(`${bytes.length} bytes, more than ${this.maxBytes}`);
    if (sha1Hex(bytes) !== hash) throw new AvatarRefused('SHA-1 of the data differs from the id');
    const { data } = await reencode(bytes, 'webp');
    await mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${hash}.${randomUUID()}.tmp`);
    try {
      await writeFile(tmp, data);
      await rename(tmp, this.file(hash));
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    this.known.add(hash);
  }
}

/** How long a (contact, hash) that failed is not asked again. */
const FAILURE_TTL_MS = 10 * 60_000;
/** Contacts tracked per session (a hostile server could announce many). */
const MAX_TRACKED = 5000;

const OPEN_NODE = { 'pubsub#access_model': 'open' };

export class Avatars {
  /** jid → hash shown (stored on disk), and where it came from: a PEP avatar wins over a vCard one. */
  private readonly current = new Map<string, { hash: string | null; source: 'pep' | 'vcard' }>();
  private readonly failed = new Map<string, number>();
  private readonly publishMemory = newPublishMemory();
  /** Our own avatar hash for presence (XEP-0153); undefined until known. */
  ownPhoto: string | null | undefined;

  constructor(
    private readonly ctx: SessionContext,
    private readonly cache: AvatarCache | null,
    /** Our presence must carry the new hash (XEP-0153 §4.1). */
    private readonly onOwnPhoto: (hash: string | null) => Promise<void> = async () => undefined,
    /** One vcard-temp write at a time (shared with the profile editor). */
    private readonly vcardWrites = new Serial(),
  ) {}

  /** The stored avatar hash of a bare JID, if any (room occupants' real JIDs). */
  hashOf(jid: string): string | null {
    return this.current.get(jid)?.hash ?? null;
  }

  snapshot(): AvatarDTO[] {
    return [...this.current].filter(([, v]) => v.hash !== null).map(([jid, v]) => ({ jid, hash: v.hash }));
  }

  private set(jid: string, hash: string | null, source: 'pep' | 'vcard'): void {
    const before = this.current.get(jid);
    if (!before && (hash === null || this.current.size >= MAX_TRACKED)) return;
    this.current.set(jid, { hash, source });
    if (before?.hash === hash) return;
    this.ctx.emit('avatar', { jid, hash });
  }

  private recentlyFailed(jid: string, hash: string): boolean {
    const until = this.failed.get(`${jid} ${hash}`);
    return until !== undefined && until > Date.now();
  }

  private remember(jid: string, hash: string): void {
    this.failed.set(`${jid} ${hash}`, Date.now() + FAILURE_TTL_MS);
    if (this.failed.size > MAX_TRACKED) this.failed.delete(this.failed.keys().next().value!);
  }

  /** A PEP notification of the metadata node (XEP-0084 §4.2). Never throws. */
  async onMetadata(from: string, items: { id: string | null; payload: Element | null }[]): Promise<void> {
    const item = items[items.length - 1];
    if (!item || !this.cache) return;
    const meta = metadataFromItem(item, this.cache.maxBytes);
    if (meta.kind === 'invalid') {
      this.ctx.log.info({ peer: from, reason: meta.reason }, 'avatar metadata refused');
      return;
    }
    if (meta.kind === 'none') {
      this.set(from, null, 'pep');
      return this.ownChanged(from, null);
    }
    const { id } = meta.info;
    if (this.recentlyFailed(from, id)) return;
    const ok = await this.cache.ensure(id, async () => dataFromResult(await this.ctx.conn.iq(buildDataGet(from, id)), id, this.cache!.maxBytes), { account: this.ctx.jid, peer: from, via: 'xep-0084' });
    if (!ok) return this.remember(from, id);
    this.set(from, id, 'pep');
    return this.ownChanged(from, id);
  }

  /** Our own metadata (from this or another client): presence carries its hash (XEP-0153 §4.1). */
  private async ownChanged(from: string, hash: string | null): Promise<void> {
    if (from !== this.ctx.jid || this.ownPhoto === hash) return;
    this.ownPhoto = hash;
    await this.onOwnPhoto(hash).catch((err: unknown) => this.ctx.log.warn({ err }, 'presence with the avatar hash not sent'));
  }

  /** A presence: its XEP-0153 photo hash, used only for contacts without a PEP avatar. Never throws. */
  async onPresence(el: Element): Promise<void> {
    if (!this.cache || el.attrs.type !== undefined) return;
    const from = bareOf(el.attrs.from);
    if (!from || from === this.ctx.jid) return;
    const update = parsePhotoUpdate(el);
    if (!update || update.kind === 'unknown') return;
    if (this.current.get(from)?.source === 'pep') return; // XEP-0084 is preferred
    if (update.kind === 'none') return this.set(from, null, 'vcard');
    const { hash } = update;
    if (this.current.get(from)?.hash === hash || this.recentlyFailed(from, hash)) return;
    const ok = await this.cache.ensure(hash, async () => {
      const photo = photoFromVcard(await this.ctx.conn.iq(buildVcardGet(from)), this.cache!.maxBytes);
      if (!photo) throw new AvatarRefused('the vCard has no PHOTO');
      return photo.bytes;
    }, { account: this.ctx.jid, peer: from, via: 'xep-0153' });
    if (!ok) return this.remember(from, hash);
    if (this.current.get(from)?.source === 'pep') return; // a PEP avatar arrived meanwhile
    this.set(from, hash, 'vcard');
  }

  /**
   * Our own avatar from a tab: re-encoded (PNG, at most 192x192) so what we publish is what we checked, stored in the
   * cache, published to XEP-0084 (data, then metadata), to vcard-temp PHOTO (other fields kept), then in presence.
   */
  async publishOwn(bytes: Buffer): Promise<{ hash: string }> {
    const { data, width, height } = await reencode(bytes, 'png', OWN_AVATAR_SIZE);
    const hash = sha1Hex(data);
    if (this.cache) await this.cache.store(hash, data);
    const iq = (el: Element) => this.ctx.conn.iq(el);
    await publishWithOptions(iq, NS_AVATAR_DATA, hash, buildDataPayload(data), OPEN_NODE, this.publishMemory);
    await publishWithOptions(iq, NS_AVATAR_METADATA, hash, buildMetadataPayload({ id: hash, bytes: data.length, type: 'image/png', width, height }), OPEN_NODE, this.publishMemory);
    await this.vcardWrites.run(() => this.writeVcardPhoto({ bytes: data, type: 'image/png' }));
    await this.ownIs(hash);
    return { hash };
  }

  /**
   * No avatar any more: empty XEP-0084 metadata (§4.7, "disabling"), the vcard-temp PHOTO removed (other fields kept),
   * an empty XEP-0153 photo in presence. The old data item is retracted by overwriting nothing: clients follow metadata.
   */
  async removeOwn(): Promise<void> {
    const iq = (el: Element) => this.ctx.conn.iq(el);
    await publishWithOptions(iq, NS_AVATAR_METADATA, 'current', buildMetadataPayload(null), OPEN_NODE, this.publishMemory);
    await this.vcardWrites.run(() => this.writeVcardPhoto(null));
    await this.ownIs(null);
  }

  /** Our vcard-temp with `photo` as its PHOTO (or none); read first so the other fields survive. */
  private async writeVcardPhoto(photo: { bytes: Buffer; type: string } | null): Promise<void> {
    let vcard: Element | null = null;
    try {
      vcard = (await this.ctx.conn.iq(buildVcardGet())).getChild('vCard', NS_VCARD_TEMP) ?? null;
    } catch (err) {
      if ((err as { condition?: string }).condition !== 'item-not-found') throw err;
    }
    await this.ctx.conn.iq(replacePhoto(vcard, photo));
  }

  private async ownIs(hash: string | null): Promise<void> {
    this.ownPhoto = hash;
    this.set(this.ctx.jid, hash, 'pep');
    await this.onOwnPhoto(hash);
  }
}
