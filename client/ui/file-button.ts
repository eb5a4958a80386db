/**
 * The composer's file button: picks a file, checks it against the server's limit, and sends it (POST /upload).
 * Files go unencrypted (encrypted file sharing, aesgcm://, is not implemented): in a conversation that is
 * end-to-end encrypted, the user is asked first and nothing is sent without a yes.
 */
import type { MessageDTO } from '../../server/realtime/contract.js';
import { uploadFile } from '../app/upload.js';
import { byId } from './dom.js';
import { formatBytes } from './format-bytes.js';

export interface FileButtonOptions {
  peer: () => string | null;
  encrypted: (peer: string) => Promise<boolean>;
  onSent: (m: MessageDTO) => void;
  showError: (text: string | null) => void;
}

export function mountFileButton(opts: FileButtonOptions): void {
  const button = byId<HTMLButtonElement>('composer-file');
  const input = byId<HTMLInputElement>('composer-file-input');
  const status = byId('composer-status');
  const limit = Number(input.dataset.limit ?? '0');
  if (!(limit > 0)) {
    button.hidden = true;
    return;
  }
  const showStatus = (text: string | null): void => {
    status.textContent = text ?? '';
    status.hidden = text === null;
  };

  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = ''; // the same file can be picked again
    const to = opts.peer();
    if (!file || !to) return;
    void send(to, file);
  });

  const send = async (to: string, file: File): Promise<void> => {
    opts.showError(null);
    if (file.size > limit) return opts.showError(`Not sent: ${file.name} is ${formatBytes(file.size)}; this server accepts files up to ${formatBytes(limit)}.`);
    if (file.size === 0) return opts.showError(`Not sent: ${file.name} is empty.`);
    if ((await opts.encrypted(to)) && !window.confirm(
      `This conversation is end-to-end encrypted, but Parley cannot encrypt files yet.\n\n` +
      `Send "${file.name}" unencrypted? Your XMPP server, and anyone with the link, can read it.`,
    )) return;
    button.disabled = true;
    showStatus(`Sending ${file.name} (${formatBytes(file.size)})…`);
    try {
      opts.onSent(await uploadFile(to, file));
      showStatus(null);
    } catch (err) {
      showStatus(null);
      opts.showError(`Not sent: ${(err as Error).message}`);
    } finally {
      button.disabled = false;
    }
  };
}
