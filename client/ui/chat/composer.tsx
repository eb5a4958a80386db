/** The message box: Enter sends, Shift+Enter adds a line. The message appears from the server's answer. */
import { useCallback, useEffect, useImperativeHandle, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Ref } from 'preact';
import { omemo } from '../../app/omemo-loader.js';
import { sendFile } from '../../files/uploads.js';
import { UploadProgress } from './upload-progress.js';
import { useFileDrop } from './file-drop.js';
import { useServices } from '../context.js';
import { formatBytes } from '../../i18n/format.js';
import { encryptForConversation, encryptionWanted, setEncryption, useEncryptionState } from './encryption.js';
import { t } from '../../i18n/index.js';
import { TypingSender } from '../../state/chat-states.js';
import { editing, lastEditable, sendCorrection, startEditing } from './edit-state.js';
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
  const { run, onSent, uploadLimitBytes, state } = useServices();
  const input = useRef<HTMLTextAreaElement>(null);
  const [error, setError] = useState<string | null>(null);
  useImperativeHandle(handle ?? null, () => ({ focus: () => input.current?.focus() }), []);
  useEffect(() => {
    if (input.current) input.current.value = drafts.get(peer) ?? '';
  }, [peer]);
  // Chat states (XEP-0085) for the contact; leaving the conversation says we stopped.
  const typing = useMemo(() => new TypingSender((s) => void run('chatState', { peer, state: s }).catch(() => undefined)), [peer]);
  useEffect(() => () => typing.sent(), [typing]);
  // Correcting our last message (XEP-0308): the box holds its text until sent or cancelled (Escape).
  const edit = editing.value?.peer === peer ? editing.value : null;
  // Before paint: the box never shows the "editing" note with the old contents.
  useLayoutEffect(() => {
    if (!edit || !input.current) return;
    input.current.value = edit.text;
    input.current.focus();
  }, [edit]);
  const cancelEdit = (): void => {
    editing.value = null;
    if (input.current) input.current.value = drafts.get(peer) ?? '';
  };
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
    typing.sent();
    const originId = newOriginId();
    if (edit) {
      editing.value = null;
      sendCorrection(run, edit, body, originId).catch((err: Error) => {
        setError(t('composer.notSent', { error: err.message }));
        if (box.value === '') box.value = body;
      });
      return;
    }
    const { text: full, replyTo } = withReplyFallback(to, body, MAX_BODY_CHARS);
    (async () => {
      if (!(await encryptionWanted(to))) return run('send', { to, body: full, originId, replyTo });
      const service = await omemo();
      if (!service) throw new Error(t('composer.noE2e'));
      // The quote goes inside the ciphertext; only the reply element (which message) is outside, as in Conversations.
      // A private group: to every member's devices (encryptForRoom), else to the contact's.
      const { encrypted, unreachable } = await encryptForConversation(service, to, full, { originId });
      const result = await run('send', { to, encrypted, originId, replyTo });
      await service.bindSent(originId, result.message.id, { peer: result.message.peer, direction: 'out', stamp: result.message.stamp });
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

  // Several at once; each checked here first, then encrypted in the tab when the conversation is (see files/uploads.ts).
  const sendFiles = useCallback(async (files: File[]): Promise<void> => {
    setError(null);
    const encrypted = await encryptionWanted(peer);
    for (const file of files) {
      if (file.size > uploadLimitBytes) {
        setError(t('composer.fileTooLarge', { name: file.name, size: formatBytes(file.size), limit: formatBytes(uploadLimitBytes) }));
        continue;
      }
      if (file.size === 0) {
        setError(t('composer.fileEmpty', { name: file.name }));
        continue;
      }
      sendFile(peer, file, encrypted, {
        run,
        onSent,
        newOriginId,
        onError: (u, why) => setError(t('files.notSent', { name: u.name, error: why })),
        texts: { noE2e: t('composer.noE2e'), noDevices: (jid) => t('files.noDevices', { jid }) },
      });
    }
  }, [peer, uploadLimitBytes, run, onSent]);
  const form = useRef<HTMLFormElement>(null);
  useFileDrop(form, uploadLimitBytes > 0, useCallback((files: File[]) => void sendFiles(files), [sendFiles]));

  return (
    <form
      ref={form}
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
      <UploadProgress peer={peer} />
      {uploadLimitBytes > 0 ? <FileButton onFiles={(f) => void sendFiles(f)} /> : null}
      <textarea
        ref={input}
        id="composer-input"
        data-testid="composer-input"
        rows={1}
        dir="auto"
        maxLength={MAX_BODY_CHARS}
        placeholder={t('composer.placeholder')}
        aria-describedby="composer-hint"
        onInput={(e) => {
          const value = (e.currentTarget as HTMLTextAreaElement).value;
          if (!edit) drafts.set(peer, value);
          typing.input(value.trim() !== '');
        }}
        onKeyDown={(e) => {
          const box = e.currentTarget as HTMLTextAreaElement;
          if (e.key === 'ArrowUp' && box.value === '' && !edit) {
            const last = lastEditable(state.messages.get(peer).messages);
            if (last) {
              e.preventDefault();
              void startEditing(peer, last);
            }
            return;
          }
          if (e.key === 'Escape' && edit) {
            e.preventDefault();
            e.stopPropagation();
            cancelEdit();
            return;
          }
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
      {edit ? (
        <p class="composer-editing" data-testid="composer-editing" role="status">
          {t('mutations.editing')}{' '}
          <button type="button" class="link-button" data-testid="composer-edit-cancel" onClick={cancelEdit}>{t('mutations.cancelEdit')}</button>
        </p>
      ) : null}
      <p id="composer-error" class="form-error composer-error" role="alert" hidden={error === null}>{error ?? ''}</p>
    </form>
  );
}

/**
 * The lock button: shows and switches end-to-end encryption for the open conversation. In a room that refuses OMEMO
 * (anonymous or open) it is off and disabled, and the room's reason is shown beside it as text.
 */
function EncryptionToggle({ peer }: { peer: string }) {
  const state = useEncryptionState(peer);
  const on = state.on;
  const refused = state.refused;
  return (
    <>
      <button
        type="button"
        class="button-quiet encryption-toggle"
        data-testid="encryption-toggle"
        aria-pressed={on ? 'true' : 'false'}
        disabled={refused !== undefined}
        aria-describedby={refused !== undefined ? 'encryption-refused' : undefined}
        title={refused ?? (on ? t('composer.encryptedTitle') : t('composer.plainTitle'))}
        onClick={() => on !== null && refused === undefined && setEncryption(peer, !on)}
      >
        {on ? t('composer.encrypted') : t('composer.plain')}
      </button>
      {refused !== undefined ? (
        <p id="encryption-refused" class="composer-note encryption-refused" data-testid="encryption-refused">{refused}</p>
      ) : null}
    </>
  );
}

/** Picks files and hands them to the composer (encrypted in the tab when the conversation is: files/uploads.ts). */
function FileButton({ onFiles }: { onFiles: (files: File[]) => void }) {
  const picker = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={picker}
        id="composer-file-input"
        type="file"
        multiple
        data-testid="composer-file-input"
        hidden
        onChange={(e) => {
          const box = e.currentTarget as HTMLInputElement;
          const files = [...(box.files ?? [])];
          box.value = ''; // the same file can be picked again
          if (files.length) onFiles(files);
        }}
      />
      <button type="button" class="button-quiet composer-file" data-testid="composer-file" title={t('composer.fileTitle')} onClick={() => picker.current?.click()}>
        {t('composer.file')}
      </button>
    </>
  );
}
