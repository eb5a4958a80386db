/** German texts of message rendering; keys as in rendering.en.ts. */
import type { renderingEn } from './rendering.en.js';

export const renderingDe: Record<keyof typeof renderingEn, string> = {
  'message.showMore': 'Mehr anzeigen',
  'reactions.label': 'Reaktionen',
  'reactions.add': 'Reagieren',
  'reactions.you': 'Du',
  'reactions.who': '{names} reagierte mit {emoji}',
  'reactions.pickerLabel': 'Reaktion wählen',
  'reactions.search': 'Emoji suchen',
  'reactions.noMatch': 'Kein Emoji gefunden.',
  'reply.action': 'Antworten',
  'reply.jump': 'Zitierte Nachricht zeigen',
  'reply.unknown': 'Zitierte Nachricht',
  'reply.replyingTo': 'Antwort an {name}',
  'reply.cancel': 'Antwort abbrechen',
  'reply.missing': 'Die zitierte Nachricht ist in diesem Verlauf nicht verfügbar.',
};
