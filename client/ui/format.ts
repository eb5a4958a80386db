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

/** A stable colour slot (0..7) per address, for avatars; a class, because the CSP forbids inline styles. */
export function colourSlot(jid: string): number {
  let hash = 0;
  for (let i = 0; i < jid.length; i++) hash = (hash * 31 + jid.charCodeAt(i)) | 0;
  return Math.abs(hash) % 8;
}

/** Bidi controls and other invisible format characters (Cf): a name starting with U+202E would show an empty avatar. */
const INVISIBLE = /\p{Cf}/gu;

export function initial(name: string): string {
  const first = [...name.replace(INVISIBLE, '').trim()][0];
  return first ? first.toUpperCase() : '?';
}
