/** Human-readable presence and message-state names, avatar letters and colours. */
import type { MessageState, Presence } from '../../server/realtime/contract.js';
import { t } from '../i18n/index.js';

/** Times follow the tab's language: they live with the translations. */
export { messageTime, listTime, fullTime } from '../i18n/format.js';

export function presenceLabel(show: Presence): string {
  return t(`presence.${show}`);
}

export function stateLabel(state: MessageState): string {
  return t(`state.${state}`);
}

/** Bidi controls and other invisible format characters (Cf): a name starting with U+202E would show an empty avatar. */
const INVISIBLE = /\p{Cf}/gu;

/**
 * The first visible grapheme (an emoji with its joiners, a letter with its accents), upper-cased. Invisible format
 * characters (bidi controls) are their own graphemes and skipped; the joiners inside an emoji sequence are kept.
 */
export function initial(name: string): string {
  let first: string | undefined;
  if (typeof Intl.Segmenter === 'function') {
    for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(name)) {
      if (segment.replace(INVISIBLE, '').trim() !== '') {
        first = segment.replace(/^\p{Cf}+/u, '');
        break;
      }
    }
  } else {
    first = [...name.replace(INVISIBLE, '').trim()][0];
  }
  return first ? first.toUpperCase() : '?';
}
