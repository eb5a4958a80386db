/**
 * Blocking (XEP-0191) in the conversation: the Block / Unblock button of the profile panel (block asks once more),
 * and the note a blocked conversation shows above the composer, with Unblock. Every tab follows the `blocklist` event.
 */
import { useEffect, useState } from 'preact/hooks';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';

/** Runs block or unblock for `jid`; `busy` while it is in flight, `message` what came of it. */
export function useBlockAction() {
  const { run } = useServices();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const act = (name: 'block' | 'unblock', jid: string) => {
    setBusy(true);
    setMessage(null);
    run(name, { jid })
      .then(() => setMessage({ text: t(name === 'block' ? 'blocking.blocked' : 'blocking.unblocked'), error: false }))
      .catch((err: Error) => setMessage({ text: err.message, error: true }))
      .finally(() => setBusy(false));
  };
  return { busy, message, setMessage, act };
}

export function BlockToggle({ peer }: { peer: string }) {
  const { state } = useServices();
  state.blocked.revision.value;
  const blocked = state.blocked.has(peer);
  const { busy, message, setMessage, act } = useBlockAction();
  const [confirm, setConfirm] = useState(false);
  useEffect(() => {
    setConfirm(false);
    setMessage(null);
  }, [peer, blocked]);
  if (!blocked && !state.blocked.supported) return null;
  return (
    <section class="block-toggle" data-testid="block-toggle" data-blocked={blocked ? 'true' : 'false'}>
      {blocked ? (
        <button type="button" class="button-quiet" data-testid="contact-unblock" disabled={busy} onClick={() => act('unblock', peer)}>{t('blocking.unblock')}</button>
      ) : confirm ? (
        <>
          <p class="block-confirm-text">{t('blocking.blockConfirm')}</p>
          <button type="button" class="button-danger" data-testid="contact-block-confirm" disabled={busy} onClick={() => act('block', peer)}>{t('blocking.blockConfirmButton')}</button>
        </>
      ) : (
        <button type="button" class="button-quiet" data-testid="contact-block" disabled={busy} onClick={() => setConfirm(true)}>{t('blocking.blockContact')}</button>
      )}
      <p class={message?.error ? 'form-error' : 'contact-editor-message'} role="status" hidden={message === null}>{message?.text ?? ''}</p>
    </section>
  );
}

export function BlockedNote({ peer }: { peer: string }) {
  const { state } = useServices();
  state.blocked.revision.value;
  const { busy, message, act } = useBlockAction();
  if (!state.blocked.has(peer)) return null;
  return (
    <div class="blocked-note" data-testid="blocked-note" role="status">
      <span>{t('blocking.note')}</span>
      <button type="button" class="button-quiet" data-testid="blocked-note-unblock" disabled={busy} onClick={() => act('unblock', peer)}>{t('blocking.unblock')}</button>
      {message?.error ? <span class="form-error">{message.text}</span> : null}
    </div>
  );
}
