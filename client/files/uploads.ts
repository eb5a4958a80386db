/**
 * The tab's file uploads: each one with its progress, cancellable, a few at once (the server runs at most 3 per
 * account; more wait here). In an end-to-end encrypted conversation the file is encrypted in the tab
 * (AES-256-GCM, aesgcm.ts), its ciphertext uploaded, and the aesgcm:// link sent inside an OMEMO message: neither
 * Parley nor the upload service sees the file. Otherwise the server uploads it and sends the link (XEP-0066).
 */
import { signal } from '@preact/signals';
import type { MessageDTO } from '../../server/realtime/contract.js';
import type { RunCommand } from '../app/socket.js';
import { omemo } from '../app/omemo-loader.js';
import { cannotEncrypt, encryptForConversation } from '../ui/chat/encryption.js';
import { uploadCiphertext, uploadFile, UploadCancelled, type UploadHandle } from '../app/upload.js';
import { encryptFile, formatAesgcmUrl } from './aesgcm.js';

export type UploadPhase = 'queued' | 'encrypting' | 'uploading' | 'sending';

export interface Upload {
  readonly id: number;
  readonly peer: string;
  readonly name: string;
  readonly size: number;
  readonly encrypted: boolean;
  phase: UploadPhase;
  sent: number;
  total: number;
}

export interface SendFileDeps {
  run: RunCommand;
  onSent: (message: MessageDTO) => void;
  /** Why it failed, in words the user reads (already translated where they come from this tab). */
  onError: (upload: Upload, error: string) => void;
  newOriginId: () => string;
  /** Texts of this tab's own failures. */
  texts: { noE2e: string; noDevices: (jid: string) => string };
}

const MAX_RUNNING = 3;

interface Entry {
  upload: Upload;
  handle: UploadHandle<unknown> | null;
  cancelled: boolean;
  start: () => void;
}

const entries: Entry[] = [];
let nextId = 1;
/** Every upload of this tab, in the order started; components read `.value` and re-render on change. */
export const uploads = signal<readonly Upload[]>([]);

function publish(): void {
  uploads.value = entries.map((e) => ({ ...e.upload }));
}

function startWaiting(): void {
  let running = entries.filter((e) => e.upload.phase !== 'queued').length;
  for (const e of entries) {
    if (running >= MAX_RUNNING) break;
    if (e.upload.phase === 'queued') {
      running++;
      e.start();
    }
  }
}

function finish(entry: Entry): void {
  const at = entries.indexOf(entry);
  if (at >= 0) entries.splice(at, 1);
  publish();
  startWaiting();
}

/** Stops an upload: the request is aborted (the server stops the slot PUT) and nothing is sent. */
export function cancelUpload(id: number): void {
  const entry = entries.find((e) => e.upload.id === id);
  if (!entry || entry.upload.phase === 'sending') return; // the link is on its way: too late to take back
  entry.cancelled = true;
  entry.handle?.abort();
  finish(entry);
}

export function sendFile(peer: string, file: File, encrypted: boolean, deps: SendFileDeps): Upload {
  const upload: Upload = { id: nextId++, peer, name: file.name, size: file.size, encrypted, phase: 'queued', sent: 0, total: file.size };
  const entry: Entry = { upload, handle: null, cancelled: false, start: () => void run() };
  const progress = (sent: number, total: number) => {
    upload.sent = sent;
    upload.total = total;
    publish();
  };
  const phase = (p: UploadPhase) => {
    upload.phase = p;
    publish();
  };

  const run = async (): Promise<void> => {
    try {
      if (!encrypted) {
        phase('uploading');
        entry.handle = uploadFile(peer, file, progress);
        const message = await (entry.handle as UploadHandle<MessageDTO>).done;
        if (!entry.cancelled) deps.onSent(message);
        return;
      }
      phase('encrypting');
      const service = await omemo();
      if (!service) throw new Error(deps.texts.noE2e);
      const refused = await cannotEncrypt(service, peer, deps.texts.noDevices);
      if (refused) throw new Error(refused);
      const sealed = await encryptFile(new Uint8Array(await file.arrayBuffer()));
      if (entry.cancelled) return;
      phase('uploading');
      entry.handle = uploadCiphertext(peer, file.name, sealed.bytes, progress);
      const url = await (entry.handle as UploadHandle<string>).done;
      if (entry.cancelled) return;
      phase('sending');
      const originId = deps.newOriginId();
      const link = formatAesgcmUrl(url, sealed.iv, sealed.key);
      const { encrypted: element } = await encryptForConversation(service, peer, link, { originId });
      const result = await deps.run('send', { to: peer, encrypted: element, originId });
      await service.bindSent(originId, result.message.id);
      deps.onSent(result.message);
    } catch (err) {
      if (!(err instanceof UploadCancelled) && !entry.cancelled) deps.onError(upload, (err as Error).message);
    } finally {
      if (!entry.cancelled) finish(entry);
    }
  };

  entries.push(entry);
  publish();
  startWaiting();
  return upload;
}
