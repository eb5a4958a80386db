/**
 * The reactions under a bubble (XEP-0444): each emoji with its count, who reacted in its title, ours marked;
 * a click toggles ours (the whole new set goes to the server). Emoji are text like every network string.
 */
import type { MessageDTO } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';

export function ReactionBar({ message }: { message: MessageDTO }) {
  const { state, run } = useServices();
  const list = state.reactions.of(message.id).value;
  if (list.length === 0) return null;
  const own = state.own.account;
  const names = (from: string[]) => from.map((j) => (j === own ? t('reactions.you') : state.contacts.displayName(j))).join(', ');
  return (
    <div class="reactions" data-testid="reactions" role="group" aria-label={t('reactions.label')}>
      {list.map((r) => {
        const mine = r.from.includes(own);
        return (
          <button
            key={r.emoji}
            type="button"
            class={`reaction${mine ? ' reaction-mine' : ''}`}
            data-testid="reaction"
            data-emoji={r.emoji}
            aria-pressed={mine}
            title={t('reactions.who', { names: names(r.from), emoji: r.emoji })}
            onClick={() => void toggleReaction(run, state, message, r.emoji)}
          >
            <span class="reaction-emoji">{r.emoji}</span> <span class="reaction-count">{r.from.length}</span>
          </button>
        );
      })}
    </div>
  );
}

/** Adds or removes our `emoji` on a message; errors go to the console only (the bar shows the server's truth). */
export async function toggleReaction(run: ReturnType<typeof useServices>['run'], state: ReturnType<typeof useServices>['state'], message: MessageDTO, emoji: string): Promise<void> {
  const emojis = state.reactions.toggled(message.id, state.own.account, emoji);
  try {
    state.reactions.set(await run('react', { peer: message.peer, id: message.id, emojis }));
  } catch (err) {
    console.warn('reaction not sent', err);
  }
}
