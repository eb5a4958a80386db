/** The message box: Enter sends, Shift+Enter adds a line. The message appears from the server's answer. */
import type { MessageDTO } from '../../server/realtime/contract.js';
import type { RunCommand } from '../app/socket.js';
import { byId } from './dom.js';
import { omemo } from '../app/omemo-loader.js';
import { mountFileButton } from './file-button.js';

const ENCRYPTION_PREF = (peer: string) => `parley.encryption.${peer}`;

/** Encrypt to this contact? The user's choice if they made one, else on whenever the contact has OMEMO devices. */
export async function encryptionWanted(peer: string): Promise<boolean> {
  const pref = localStorage.getItem(ENCRYPTION_PREF(peer));
  if (pref !== null) return pref === 'on';
  const service = await omemo();
  return service ? service.isAvailable(peer) : false;
}

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
    const originId = newOriginId();
    (async () => {
      if (!(await encryptionWanted(to))) return opts.run('send', { to, body, originId });
      const service = await omemo();
      if (!service) throw new Error('end-to-end encryption is not available in this tab; turn it off for this contact to send in clear');
      const { encrypted, unreachable } = await service.encryptFor(to, body, { originId });
      const result = await opts.run('send', { to, encrypted, originId });
      await service.bindSent(originId, result.message.id);
      // Sent, but a device of the contact cannot read it: say so, or the sender assumes it arrived everywhere.
      if (unreachable.length) {
        const which = unreachable.length === 1 ? 'one device' : `${unreachable.length} devices`;
        showError(`Sent, but ${which} of ${to} cannot read it (${unreachable[0]!.error?.replace(/^bundle: /, '')}).`);
      }
      return result;
    })()
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
  mountEncryptionToggle(opts.peer);
  mountFileButton({ peer: opts.peer, encrypted: encryptionWanted, onSent: opts.onSent, showError });
  return { focus: () => input.focus() };
}

/** The lock button: shows and switches end-to-end encryption for the open conversation. */
function mountEncryptionToggle(peer: () => string | null): void {
  const button = byId<HTMLButtonElement>('encryption-toggle');
  const render = async (): Promise<void> => {
    const to = peer();
    button.hidden = to === null;
    if (!to) return;
    const on = await encryptionWanted(to);
    button.setAttribute('aria-pressed', String(on));
    button.textContent = on ? 'Encrypted' : 'Not encrypted';
    button.title = on ? 'Messages are end-to-end encrypted (OMEMO). Click to send in clear.' : 'Click to encrypt end to end (OMEMO).';
  };
  button.addEventListener('click', () => {
    const to = peer();
    if (!to) return;
    const on = button.getAttribute('aria-pressed') === 'true';
    localStorage.setItem(ENCRYPTION_PREF(to), on ? 'off' : 'on');
    void render();
  });
  // After the app's own hashchange handler has opened the conversation.
  window.addEventListener('hashchange', () => setTimeout(() => void render(), 0));
  void omemo().then(() => render());
  void render();
}

/** Re-reads the toggle once the OMEMO layer is up (it knows whether the contact has devices). */
export function refreshEncryptionToggle(): void {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
