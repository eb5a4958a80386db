/** French texts of blocking (XEP-0191); keys as in blocking.en.ts. */
import type { blockingEn } from './blocking.en.js';

export const blockingFr: Record<keyof typeof blockingEn, string> = {
  'blocking.block': 'Bloquer',
  'blocking.unblock': 'Débloquer',
  'blocking.blockContact': 'Bloquer le contact',
  'blocking.blockConfirm': 'Vraiment bloquer ? Vous ne verrez plus ses messages ni sa présence.',
  'blocking.blockConfirmButton': 'Oui, bloquer',
  'blocking.blocked': 'Bloqué.',
  'blocking.unblocked': 'Débloqué.',
  'blocking.note': 'Vous avez bloqué ce contact. Vous ne recevez plus ses messages et ne voyez plus sa présence.',
  'blocking.rosterMark': 'Bloqué',
  'blocking.blockRequestLabel': 'Bloquer {jid}',
  'blocking.settingsTitle': 'Contacts bloqués',
  'blocking.settingsHint': 'Rien de ce qu’envoient ces adresses ne vous parvient, sur tous vos appareils qui prennent en charge le blocage.',
  'blocking.settingsEmpty': 'Vous n’avez bloqué personne.',
  'blocking.unsupported': 'Votre serveur XMPP ne prend pas en charge le blocage.',
  'blocking.unblockLabel': 'Débloquer {jid}',
};
