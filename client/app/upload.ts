/**
 * Sends a file through Parley (POST /upload): the server uploads it to the account's XMPP upload service and sends
 * the link; with `encrypted` the body is ciphertext the server only stores (the tab sends the aesgcm:// link itself).
 * XMLHttpRequest rather than fetch: it reports upload progress, and abort() closes the request, so the server
 * stops its slot PUT and sends nothing.
 */
import type { MessageDTO, Result } from '../../server/realtime/contract.js';

export class UploadFailed extends Error {}
export class UploadCancelled extends Error {}

/** The page's CSRF token (the same one the logout form posts), from the server-rendered <body>. */
function csrfToken(): string {
  const token = document.body.dataset.csrf;
  if (!token) throw new UploadFailed('this page has no form token: reload it');
  return token;
}

export interface UploadHandle<T> {
  done: Promise<T>;
  abort(): void;
}

function post<T>(url: string, body: Blob, name: string, type: string, onProgress: (sent: number, total: number) => void): UploadHandle<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', type || 'application/octet-stream');
    xhr.setRequestHeader('x-file-name', encodeURIComponent(name));
    xhr.setRequestHeader('x-csrf-token', csrfToken());
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size);
    xhr.onabort = () => reject(new UploadCancelled('cancelled'));
    xhr.onerror = () => reject(new UploadFailed('the connection to Parley was lost during the upload'));
    xhr.onload = () => {
      let result: Result<T> | null = null;
      try {
        result = JSON.parse(xhr.responseText) as Result<T>;
      } catch {
        result = null;
      }
      if (result?.ok) return resolve(result.data);
      reject(new UploadFailed(result && !result.ok && typeof result.error === 'string' ? result.error : `the server answered HTTP ${xhr.status}`));
    };
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}

/** Uploads `file` and sends its link to `to` (XEP-0066): resolves with the stored message. */
export function uploadFile(to: string, file: File, onProgress: (sent: number, total: number) => void): UploadHandle<MessageDTO> {
  const h = post<{ message: MessageDTO }>(`/upload?to=${encodeURIComponent(to)}`, file, file.name, file.type, onProgress);
  return { done: h.done.then((d) => d.message), abort: h.abort };
}

/** Uploads ciphertext for a conversation with `to` and sends nothing: resolves with the GET URL. */
export function uploadCiphertext(to: string, name: string, bytes: Uint8Array, onProgress: (sent: number, total: number) => void): UploadHandle<string> {
  const h = post<{ url: string }>(`/upload?to=${encodeURIComponent(to)}&encrypted=1`, new Blob([bytes as BlobPart]), name, 'application/octet-stream', onProgress);
  return { done: h.done.then((d) => d.url), abort: h.abort };
}
