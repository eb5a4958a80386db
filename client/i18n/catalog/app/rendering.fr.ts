/** French texts of message rendering; keys as in rendering.en.ts. */
import type { renderingEn } from './rendering.en.js';

export const renderingFr: Record<keyof typeof renderingEn, string> = {
  'message.showMore': 'Afficher plus',
  'reactions.label': 'Réactions',
  'reactions.add': 'Réagir',
  'reactions.you': 'Vous',
  'reactions.who': '{names} a réagi avec {emoji}',
  'reactions.pickerLabel': 'Choisir une réaction',
  'reactions.search': 'Chercher un emoji',
  'reactions.noMatch': 'Aucun emoji trouvé.',
  'reply.action': 'Répondre',
  'reply.jump': 'Afficher le message cité',
  'reply.unknown': 'Message cité',
  'reply.replyingTo': 'Réponse à {name}',
  'reply.cancel': 'Annuler la réponse',
  'reply.missing': 'Le message cité n’est pas disponible dans cet historique.',
};
