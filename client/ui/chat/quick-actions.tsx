/** A bubble's quick actions: reply (XEP-0461) and react (XEP-0444, with the emoji picker); the ⋯ menu is message-actions.tsx. */
import { useState } from 'preact/hooks';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';
import { EmojiPicker } from './emoji-picker.js';
import { toggleReaction } from './reactions.js';
import { replyingTo } from './reply.js';

export function QuickActions({ message, text }: { message: MessageDTO; text: string | null }) {
  const { state, run } = useServices();
  const [picking, setPicking] = useState(false);
  // Only a stored, readable message can be quoted or reacted to (the server needs its row, the quote its text).
  if (message.state === 'pending' || message.state === 'failed') return null;
  return (
    <div class="message-quick-actions">
      {text !== null ? (
        <button
          type="button"
          class="message-action"
          data-testid="message-reply"
          aria-label={t('reply.action')}
          title={t('reply.action')}
          onClick={() => (replyingTo.value = { message, text })}
        >
          ↩
        </button>
      ) : null}
      <button type="button" class="message-action" data-testid="message-react" aria-label={t('reactions.add')} title={t('reactions.add')} aria-expanded={picking} onClick={() => setPicking(!picking)}>
        ☺
      </button>
      {picking ? (
        <EmojiPicker
          onClose={() => setPicking(false)}
          onPick={(emoji) => {
            setPicking(false);
            void toggleReaction(run, state, message, emoji);
          }}
        />
      ) : null}
    </div>
  );
}
