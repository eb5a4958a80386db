/** French texts of message mutations; keys as in mutations.en.ts (typography: see app.fr.ts). */
import type { mutationsEn } from './mutations.en.js';

export const mutationsFr: Record<keyof typeof mutationsEn, string> = {
  'mutations.typing': '{name} est en train d’écrire…',
  'mutations.edited': 'modifié',
  'mutations.editedTitle': 'Modifié {time}. Afficher les versions précédentes',
  'mutations.versionsTitle': 'Versions précédentes',
  'mutations.versionsLoading': 'Chargement…',
  'mutations.versionsEmpty': 'Aucune version précédente n’est conservée.',
  'mutations.versionLabel': 'Version n° {n}, {time}',
  'mutations.versionUnreadable': 'Cette version ne peut pas être déchiffrée dans cet onglet.',
  'mutations.close': 'Fermer',
  'mutations.retracted': 'Ce message a été retiré.',
  'mutations.actions': 'Actions du message',
  'mutations.edit': 'Modifier',
  'mutations.retract': 'Retirer pour tout le monde',
  'mutations.retractConfirm': 'Retirer ce message pour tout le monde\u202f? L’application de votre contact est priée de le supprimer\u202f; celles qui ne savent pas le faire continuent de l’afficher.',
  'mutations.delete': 'Supprimer pour moi',
  'mutations.deleteConfirm': 'Supprimer ce message pour vous\u202f? Il disparaît de Parley dans tous vos navigateurs. Les copies dans l’archive de votre serveur XMPP et chez votre contact restent.',
  'mutations.deleteConversation': 'Supprimer',
  'mutations.deleteConversationTitle': 'Supprimer cette conversation pour vous',
  'mutations.deleteConversationConfirm': 'Supprimer toute la conversation avec {name} pour vous\u202f? Elle disparaît de Parley dans tous vos navigateurs. Les copies dans l’archive de votre serveur XMPP et chez {name} restent.',
  'mutations.editing': 'Vous modifiez votre message. Échap annule.',
  'mutations.cancelEdit': 'Annuler la modification',
  'mutations.failed': 'Cela n’a pas fonctionné\u202f: {error}',
};
