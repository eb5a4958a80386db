/**
 * Sending files (XEP-0363 HTTP File Upload): find the account's upload service, ask it for a slot, stream the file
 * from the tab's request straight to the slot, then send the link as an ordinary message with XEP-0066 OOB through
 * Messages.send (stored first, like every message). Files are never kept on the Parley server, nor fetched by it.
 * Encrypted files (XEP-0454): the tab encrypts, and `store` only uploads the ciphertext and returns its GET URL; the
 * tab then sends the aesgcm:// link inside an OMEMO message itself. A tab that gave up (cancel) gets nothing sent.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { SessionContext } from './context.js';
import type { Messages } from './messages.js';
import type { MessageDTO } from '../realtime/contract.js';
import { XmppStanzaError } from '../xmpp/errors.js';
import {
  buildDiscoInfo, buildDiscoItems, buildSlotRequest, fileTooLarge, parseDiscoItems, parseSlot, parseUploadInfo, SlotError, type UploadSlot,
} from '../stanza/http-upload.js';
import { stripUnsafe } from '../stanza/oob.js';
import { putFile, PutError } from './http-put.js';

export type UploadFailure = 'too-large' | 'no-service' | 'slot-refused' | 'put-failed' | 'busy' | 'not-online' | 'cancelled';

export class UploadError extends Error {
  constructor(readonly kind: UploadFailure, message: string) {
    super(message);
  }
}

export interface UploadService {
  jid: string;
  /** Bytes; null when the service announces no limit. */
  maxFileSize: number | null;
}

export interface FileToSend {
  to: string;
  /** As the user's file was called; cleaned here before it goes anywhere. */
  name: string;
  size: number;
  type: string;
  body: Readable;
  /** True once the tab gave up on the request (cancel, closed tab): then nothing is sent. */
  cancelled?: () => boolean;
}

export interface UploadPolicy {
  /** PARLEY_UPLOAD_LIMIT_MB in bytes. */
  limitBytes: number;
  /** Plain-http PUT URLs are accepted only for loopback hosts unless this is true (tests, LAN set-ups without TLS). */
  allowPlainHttp: boolean;
  /**
   * PUT URLs on loopback or private networks are refused (a hostile XMPP server must not make Parley PUT into its
   * network) unless the admin pointed this domain at a server there (PARLEY_XMPP_SERVICES).
   */
  allowPrivateNetwork: boolean;
}

const FOUND_TTL_MS = 60 * 60_000;
const MISSING_TTL_MS = 5 * 60_000;
const MAX_PARALLEL_UPLOADS = 3;
const MAX_NAME_CHARS = 120;

export class HttpUpload {
  private cached: { value: UploadService | null; at: number } | null = null;
  private discovering: Promise<UploadService | null> | null = null;
  private inFlight = 0;

  constructor(
    private readonly ctx: SessionContext,
    private readonly messages: Messages,
  ) {}

  /** The account's upload service: disco#info on the domain, else on each of its disco#items. Cached. */
  async service(): Promise<UploadService | null> {
    const c = this.cached;
    if (c && Date.now() - c.at < (c.value ? FOUND_TTL_MS : MISSING_TTL_MS)) return c.value;
    this.discovering ??= this.discover()
      .then((value) => {
        this.cached = { value, at: Date.now() };
        return value;
      })
      .finally(() => (this.discovering = null));
    return this.discovering;
  }

  private async discover(): Promise<UploadService | null> {
    const domain = this.ctx.jid.slice(this.ctx.jid.indexOf('@') + 1);
    const own = await this.infoOf(domain);
    if (own) return own;
    const items = parseDiscoItems(await this.ctx.conn.iq(buildDiscoItems(domain)));
    const infos = await Promise.all(items.map((jid) => this.infoOf(jid)));
    return infos.find((s) => s !== null) ?? null;
  }

  private async infoOf(jid: string): Promise<UploadService | null> {
    try {
      const info = parseUploadInfo(await this.ctx.conn.iq(buildDiscoInfo(jid)));
      return info ? { jid, maxFileSize: info.maxFileSize } : null;
    } catch (err) {
      if (err instanceof XmppStanzaError) return null; // an item that does not answer disco is simply not it
      throw err;
    }
  }

  /** Uploads the file and sends its link to `to`. The body stream is consumed (or destroyed) in every case. */
  async send(file: FileToSend, policy: UploadPolicy): Promise<MessageDTO> {
    const getUrl = await this.store(file, policy);
    if (file.cancelled?.()) throw new UploadError('cancelled', 'The upload was cancelled.');
    return this.messages.send({ to: file.to, originId: randomUUID(), file: { url: getUrl, size: file.size, type: file.type } });
  }

  /** Uploads the file (for an encrypted file: its ciphertext) and returns the slot's GET URL; sends no message. */
  async store(file: FileToSend, policy: UploadPolicy): Promise<string> {
    try {
      if (file.size > policy.limitBytes) throw new UploadError('too-large', `The file is larger than this Parley server accepts (${formatMb(policy.limitBytes)}).`);
      if (this.ctx.conn.state !== 'online') throw new UploadError('not-online', 'Not connected to your XMPP server right now. Try again in a moment.');
      if (this.inFlight >= MAX_PARALLEL_UPLOADS) throw new UploadError('busy', `At most ${MAX_PARALLEL_UPLOADS} uploads at a time.`);
      this.inFlight++;
      try {
        return await this.upload(file, policy);
      } finally {
        this.inFlight--;
      }
    } finally {
      // Whatever went wrong, the tab's request must not stay half-read.
      if (!file.body.readableEnded) file.body.resume();
    }
  }

  private async upload(file: FileToSend, policy: UploadPolicy): Promise<string> {
    const service = await this.service().catch((err: unknown) => {
      this.ctx.log.warn({ err }, 'upload service discovery failed');
      return null;
    });
    if (!service) throw new UploadError('no-service', 'Your XMPP server offers no file upload service (XEP-0363 HTTP File Upload).');
    if (service.maxFileSize !== null && file.size > service.maxFileSize) {
      throw new UploadError('too-large', `The file is larger than your XMPP server accepts (${formatMb(service.maxFileSize)}).`);
    }
    const name = uploadFileName(file.name);
    const slot = await this.requestSlot(service.jid, { name, size: file.size, type: file.type });
    const put = new URL(slot.putUrl);
    if (put.protocol === 'http:' && !policy.allowPlainHttp && !isLoopback(put.hostname)) {
      throw new UploadError('slot-refused', 'Your upload service offers only an unencrypted (http) address; Parley will not send files there.');
    }
    try {
      await putFile({ url: slot.putUrl, headers: slot.headers, body: file.body, size: file.size, type: file.type, allowPrivate: policy.allowPrivateNetwork });
    } catch (err) {
      if (err instanceof PutError && err.tooLarge) throw new UploadError('too-large', `Not sent: ${err.message}.`);
      throw new UploadError('put-failed', `The upload failed: ${err instanceof Error ? err.message : 'unknown error'}.`);
    }
    return slot.getUrl;
  }

  private async requestSlot(service: string, file: { name: string; size: number; type: string }): Promise<UploadSlot> {
    try {
      return parseSlot(await this.ctx.conn.iq(buildSlotRequest(service, file)));
    } catch (err) {
      if (err instanceof SlotError) throw new UploadError('slot-refused', `The upload service gave no usable slot: ${err.message}.`);
      if (err instanceof XmppStanzaError) {
        const max = fileTooLarge(err.stanza);
        if (max !== undefined) {
          throw new UploadError('too-large', `The file is larger than your XMPP server accepts${max ? ` (${formatMb(max)})` : ''}.`);
        }
        // The server's own words (quota reached, type not allowed...): the tab shows them as text.
        const text = err.text ? `: ${err.text.slice(0, 200)}` : '';
        throw new UploadError('slot-refused', `The upload service refused the file (${err.condition}${text}).`);
      }
      throw err;
    }
  }
}

/** The file name we give the upload service: no path separators, no control or bidi characters, bounded. */
export function uploadFileName(raw: string): string {
  const name = stripUnsafe(raw.replace(/[/\\]/g, '_')).replace(/^\.+/, '');
  const points = [...name];
  return (points.length > MAX_NAME_CHARS ? points.slice(points.length - MAX_NAME_CHARS).join('') : name) || 'file';
}

function formatMb(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
