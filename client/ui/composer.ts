/** The message box: Enter sends, Shift+Enter adds a line. The message appears from the server's answer. */
import type { MessageDTO } from '../../server/realtime/contract.js';
import type { RunCommand } from '../app/socket.js';
import { byId } from './dom.js';

/** Mirrors LIMITS.bodyChars of the contract (a value import would pull zod into the bundle). */
export const MAX_BODY_CHARS = 10_000;

/** crypto.randomUUID exists only in secure contexts; Parley may be served over plain HTTP on a LAN. */
export function newOriginId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function mountComposer(opts: { run: RunCommand; peer: () => string | null; onSent: (m: MessageDTO) => void }): { focus(): void } {
  const form = byId<HTMLFormElement>('composer');
  const input = byId<HTMLTextAreaElement>('composer-input');
  const error = byId('composer-error');
  input.maxLength = MAX_BODY_CHARS;

  const showError = (text: string | null): void => {
    error.textContent = text ?? '';
    error.hidden = text === null;
  };

  const send = (): void => {
    const to = opts.peer();
    const body = input.value;
    if (!to || body.trim() === '') return;
    input.value = '';
    showError(null);
    opts
      .run('send', { to, body, originId: newOriginId() })
      .then(({ message }) => opts.onSent(message))
      .catch((err: Error) => {
        showError(`Not sent: ${err.message}`);
        // Give the text back unless the user already typed something new.
        if (input.value === '') input.value = body;
      });
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    send();
    input.focus();
  });
  input.addEventListener('keydown', (e) => {
    // isComposing: Enter also confirms an IME candidate (Japanese, Chinese…) and must not send then.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  return { focus: () => input.focus() };
}
