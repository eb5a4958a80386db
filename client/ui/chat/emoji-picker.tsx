/**
 * A compact built-in emoji picker for reactions: common emoji with English search words, nothing loaded from
 * elsewhere. A native <dialog>-free popover: a listbox of buttons, Escape closes it, arrow keys move focus.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';

/** [emoji, search words]. The first row is the quick choice. */
export const COMMON_EMOJI: ReadonlyArray<readonly [string, string]> = [
  ['👍', 'thumbs up yes ok like'], ['❤️', 'heart love red'], ['😂', 'laugh tears joy funny'], ['😮', 'wow surprised open mouth'],
  ['😢', 'sad cry tear'], ['🙏', 'thanks please pray'], ['🎉', 'party tada celebrate congratulations'], ['🔥', 'fire hot lit'],
  ['👎', 'thumbs down no dislike'], ['😀', 'grin smile happy'], ['😊', 'smile blush happy'], ['😉', 'wink'],
  ['😍', 'love heart eyes'], ['🤔', 'thinking hmm'], ['😅', 'sweat relief nervous'], ['🙂', 'slight smile'],
  ['😎', 'cool sunglasses'], ['😴', 'sleep tired'], ['😡', 'angry mad'], ['😱', 'scream fear shock'],
  ['🤣', 'rofl rolling laugh'], ['🥰', 'love hearts smile'], ['😬', 'grimace awkward'], ['🙄', 'eye roll'],
  ['👏', 'clap applause bravo'], ['🙌', 'hooray raise hands'], ['👋', 'wave hello bye'], ['💪', 'strong muscle'],
  ['👀', 'eyes look see'], ['🤝', 'handshake deal'], ['✅', 'check done yes'], ['❌', 'cross no wrong'],
  ['💯', 'hundred perfect'], ['⭐', 'star'], ['✨', 'sparkles shiny'], ['💡', 'idea bulb'],
  ['☕', 'coffee tea hot'], ['🍕', 'pizza food'], ['🎂', 'cake birthday'], ['🍺', 'beer drink'],
  ['🚀', 'rocket launch ship'], ['🐛', 'bug insect'], ['💩', 'poop'], ['🤷', 'shrug dunno'],
  ['😇', 'angel innocent'], ['🥳', 'party face celebrate'], ['😘', 'kiss'], ['💔', 'broken heart'],
];

export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const search = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    search.current?.focus();
    const outside = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) onClose();
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, []);
  const q = query.trim().toLowerCase();
  const shown = q ? COMMON_EMOJI.filter(([e, words]) => e === q || words.split(' ').some((w) => w.startsWith(q))) : COMMON_EMOJI;

  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    if (!['ArrowRight', 'ArrowLeft', 'ArrowDown', 'ArrowUp'].includes(e.key)) return;
    const buttons = [...(root.current?.querySelectorAll<HTMLButtonElement>('.emoji-choice') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowDown' ? 8 : -8;
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, at + step))];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  };

  return (
    <div class="emoji-picker" ref={root} role="dialog" aria-label={t('reactions.pickerLabel')} data-testid="emoji-picker" onKeyDown={onKeyDown}>
      <input
        ref={search}
        type="search"
        class="emoji-search"
        placeholder={t('reactions.search')}
        aria-label={t('reactions.search')}
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
      />
      <div class="emoji-grid" role="listbox" aria-label={t('reactions.pickerLabel')}>
        {shown.map(([emoji, words]) => (
          <button key={emoji} type="button" class="emoji-choice" role="option" aria-selected="false" title={words.split(' ')[0]} data-emoji={emoji} onClick={() => onPick(emoji)}>
            {emoji}
          </button>
        ))}
        {shown.length === 0 ? <p class="emoji-none">{t('reactions.noMatch')}</p> : null}
      </div>
    </div>
  );
}
