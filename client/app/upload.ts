/** Sends a file through Parley (POST /upload): the server uploads it to the account's XMPP upload service and sends the link. */
import type { MessageDTO, Result } from '../../server/realtime/contract.js';

export class UploadFailed extends Error {}

/** The page's CSRF token (the same one the logout form posts), from the server-rendered <body>. */
function csrfToken(): string {
  const token = document.body.dataset.csrf;
  if (!token) throw new UploadFailed('this page has no form token: reload it');
  return token;
}

export async function uploadFile(to: string, file: File): Promise<MessageDTO> {
  let res: Response;
  try {
    res = await fetch(`/upload?to=${encodeURIComponent(to)}`, {
      method: 'POST',
      body: file,
      credentials: 'same-origin',
      headers: {
        'content-type': file.type || 'application/octet-stream',
        'x-file-name': encodeURIComponent(file.name),
        'x-csrf-token': csrfToken(),
      },
    });
  } catch {
    throw new UploadFailed('the connection to Parley was lost during the upload');
  }
  let result: Result<{ message: MessageDTO }> | null = null;
  try {
    result = (await res.json()) as Result<{ message: MessageDTO }>;
  } catch {
    result = null;
  }
  if (result?.ok) return result.data.message;
  throw new UploadFailed(result && !result.ok && typeof result.error === 'string' ? result.error : `the server answered HTTP ${res.status}`);
}
