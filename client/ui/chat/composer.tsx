/** The message box: Enter sends, Shift+Enter adds a line. The message appears from the server's answer. */
import { useEffect, useImperativeHandle, useRef, useState } from 'preact/hooks';
import type { Ref } from 'preact';
import { omemo } from '../../app/omemo-loader.js';
import { uploadFile } from '../../app/upload.js';
import { useServices } from '../context.js';
import { formatBytes } from '../../i18n/format.js';
import { encryptionWanted, setEncryption, useEncryptionWanted } from './encryption.js';
import { t } from '../../i18n/index.js';
import { replyingTo, withReplyFallback } from './reply.js';


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

/** What the user was writing in each conversation of this tab: switching conversations keeps the draft. */
const drafts = new Map<string, string>();

export interface ComposerHandle {
  focus(): void;
}

export function Composer({ peer, handle }: { peer: string; handle?: Ref<ComposerHandle> }) {
  const { run, onSent, uploadLimitBytes } = useServices();
  const input = useRef<HTMLTextAreaElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  useImperativeHandle(handle ?? null, () => ({ focus: () => input.current?.focus() }), []);
  useEffect(() => {
    if (input.current) input.current.value = drafts.get(peer) ?? '';
  }, [peer]);
  // "Reply" in a bubble's menu: write the reply here.
  const replying = replyingTo.value;
  useEffect(() => {
    if (replying) input.current?.focus();
  }, [replying]);

  const send = (): void => {
    const box = input.current;
    const to = peer;
    if (!box) return;
    const body = box.value;
    if (body.trim() === '') return;
    box.value = '';
    drafts.delete(to);
    setError(null);
    const originId = newOriginId();
    const { text: full, replyTo } = withReplyFallback(to, body, MAX_BODY_CHARS);
    (async () => {
      if (!(await encryptionWanted(to))) return run('send', { to, body: full, originId, replyTo });
      const service = await omemo();
      if (!service) throw new Error(t('composer.noE2e'));
      // The quote goes inside the ciphertext; only the reply element (which message) is outside, as in Conversations.
      const { encrypted, unreachable } = await service.encryptFor(to, full, { originId });
      const result = await run('send', { to, encrypted, originId, replyTo });
      await service.bindSent(originId, result.message.id);
      // Sent, but a device of the contact cannot read it: say so, or the sender assumes it arrived everywhere.
      if (unreachable.length) {
        setError(t('composer.unreachable', { count: unreachable.length, jid: to, reason: unreachable[0]!.error?.replace(/^bundle: /, '') ?? '' }));
      }
      return result;
    })()
      .then(({ message }) => onSent(message))
      .catch((err: Error) => {
        setError(t('composer.notSent', { error: err.message }));
        // Give the text back unless the user already typed something new.
        if (box.value === '') box.value = body;
      });
  };

  const sendFile = async (file: File): Promise<void> => {
    setError(null);
    if (file.size > uploadLimitBytes) return setError(t('composer.fileTooLarge', { name: file.name, size: formatBytes(file.size), limit: formatBytes(uploadLimitBytes) }));
    if (file.size === 0) return setError(t('composer.fileEmpty', { name: file.name }));
    if ((await encryptionWanted(peer)) && !window.confirm(t('composer.fileUnencrypted', { name: file.name }))) return;
    setStatus(t('composer.fileSending', { name: file.name, size: formatBytes(file.size) }));
    try {
      onSent(await uploadFile(peer, file));
    } catch (err) {
      setError(t('composer.notSent', { error: (err as Error).message }));
    } finally {
      setStatus(null);
    }
  };

  return (
    <form
      id="composer"
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
        input.current?.focus();
      }}
    >
      <label class="visually-hidden" for="composer-input">{t('composer.label')}</label>
      <EncryptionToggle peer={peer} />
      {uploadLimitBytes > 0 ? <FileButton busy={status !== null} onFile={(f) => void sendFile(f)} /> : null}
      <textarea
        ref={input}
        id="composer-input"
        data-testid="composer-input"
        rows={1}
        dir="auto"
        maxLength={MAX_BODY_CHARS}
        placeholder={t('composer.placeholder')}
        aria-describedby="composer-hint"
        onInput={(e) => drafts.set(peer, (e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && replyingTo.value) {
            e.preventDefault();
            replyingTo.value = null;
            return;
          }
          // isComposing: Enter also confirms an IME candidate (Japanese, Chinese…) and must not send then.
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" class="button-primary composer-send" data-testid="composer-send">{t('composer.send')}</button>
      <p id="composer-hint" class="visually-hidden">{t('composer.hint')}</p>
      <p id="composer-error" class="form-error composer-error" role="alert" hidden={error === null}>{error ?? ''}</p>
      <p id="composer-status" class="composer-status" data-testid="composer-status" role="status" hidden={status === null}>{status ?? ''}</p>
    </form>
  );
}

/** The lock button: shows and switches end-to-end encryption for the open conversation. */
function EncryptionToggle({ peer }: { peer: string }) {
  const on = useEncryptionWanted(peer);
  return (
    <button
      type="button"
      class="button-quiet encryption-toggle"
      data-testid="encryption-toggle"
      aria-pressed={on ? 'true' : 'false'}
      title={on ? t('composer.encryptedTitle') : t('composer.plainTitle')}
      onClick={() => on !== null && setEncryption(peer, !on)}
    >
      {on ? t('composer.encrypted') : t('composer.plain')}
    </button>
  );
}

/**
 * Picks a file and hands it to the composer. Files go unencrypted (encrypted file sharing, aesgcm://, is not
 * implemented): in a conversation that is end-to-end encrypted, the user is asked first.
 */
function FileButton({ busy, onFile }: { busy: boolean; onFile: (file: File) => void }) {
  const picker = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={picker}
        id="composer-file-input"
        type="file"
        data-testid="composer-file-input"
        hidden
        onChange={(e) => {
          const box = e.currentTarget as HTMLInputElement;
          const file = box.files?.[0];
          box.value = ''; // the same file can be picked again
          if (file) onFile(file);
        }}
      />
      <button type="button" class="button-quiet composer-file" data-testid="composer-file" title={t('composer.fileTitle')} disabled={busy} onClick={() => picker.current?.click()}>
        {t('composer.file')}
      </button>
    </>
  );
}
