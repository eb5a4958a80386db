/**
 * What can be done to one message: edit (our last one), retract for everyone (ours), remove for everyone (room
 * moderators, XEP-0425), delete for me (any). The
 * confirmations say plainly that deleting for me leaves the copies in the server's archive and at the contact.
 */
import { useState } from 'preact/hooks';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { lastEditable, startEditing } from './edit-state.js';
import { t } from '../../i18n/index.js';
import { canModerateMessages } from '../rooms/admin/permissions.js';

export function MessageActions({ message }: { message: MessageDTO }) {
  const { state, run } = useServices();
  const [error, setError] = useState<string | null>(null);
  const own = message.direction === 'out' && message.retractedAt === undefined;
  // XEP-0425: a moderator of a room whose service supports it removes any message there for everyone.
  const room = state.rooms.get(message.peer);
  const moderatable = room !== undefined && canModerateMessages(room) && !message.moderated && message.retractedAt === undefined;
  const editable = own && lastEditable(state.messages.get(message.peer).messages)?.id === message.id;
  const act = (work: () => Promise<unknown>) => (e: Event) => {
    (e.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
    setError(null);
    work().catch((err: Error) => setError(t('mutations.failed', { error: err.message })));
  };
  return (
    <>
      <details class="message-actions" data-testid="message-actions">
        <summary aria-label={t('mutations.actions')} title={t('mutations.actions')}>⋯</summary>
        <div class="message-actions-menu">
          {editable ? (
            <button type="button" class="link-button" data-testid="message-edit" onClick={act(() => startEditing(message.peer, message))}>{t('mutations.edit')}</button>
          ) : null}
          {own ? (
            <button
              type="button"
              class="link-button"
              data-testid="message-retract"
              onClick={act(async () => {
                if (window.confirm(t('mutations.retractConfirm'))) await run('retract', { peer: message.peer, id: message.id });
              })}
            >
              {t('mutations.retract')}
            </button>
          ) : null}
          {moderatable ? (
            <button
              type="button"
              class="link-button"
              data-testid="message-moderate"
              onClick={act(async () => {
                if (window.confirm(t('roomAdmin.moderateConfirm'))) await run('roomModerate', { room: message.peer, id: message.id });
              })}
            >
              {t('roomAdmin.moderate')}
            </button>
          ) : null}
          <button
            type="button"
            class="link-button"
            data-testid="message-delete"
            onClick={act(async () => {
              if (window.confirm(t('mutations.deleteConfirm'))) await run('deleteMessage', { peer: message.peer, id: message.id });
            })}
          >
            {t('mutations.delete')}
          </button>
        </div>
      </details>
      {error ? <p class="form-error message-action-error" role="alert">{error}</p> : null}
    </>
  );
}
