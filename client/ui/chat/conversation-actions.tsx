/** Pieces of the conversation header: the contact's "typing…" line, and deleting the conversation for oneself. */
import { useState } from 'preact/hooks';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';

export function TypingNote({ peer, name }: { peer: string; name: string }) {
  const { state } = useServices();
  state.chatStates.revision.value;
  const typing = state.chatStates.typing(peer);
  return (
    <p class="typing-note" data-testid="typing" aria-live="polite" dir="auto" hidden={!typing}>
      {typing ? t('mutations.typing', { name }) : ''}
    </p>
  );
}

export function DeleteConversationButton({ peer, name }: { peer: string; name: string }) {
  const { run } = useServices();
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        class="button-quiet header-action"
        data-testid="conversation-delete"
        title={t('mutations.deleteConversationTitle')}
        onClick={() => {
          if (!window.confirm(t('mutations.deleteConversationConfirm', { name }))) return;
          setError(null);
          run('deleteConversation', { peer }).catch((err: Error) => setError(t('mutations.failed', { error: err.message })));
        }}
      >
        {t('mutations.deleteConversation')}
      </button>
      {error ? <p class="form-error" role="alert">{error}</p> : null}
    </>
  );
}
