/** French texts of files; keys as in files.en.ts. */
import type { filesEn } from './files.en.js';

export const filesFr: Record<keyof typeof filesEn, string> = {
  'files.uploads': 'Fichiers en cours d’envoi',
  'files.queued': 'En attente…',
  'files.encrypting': 'Chiffrement…',
  'files.sendingLink': 'Envoi…',
  'files.progress': '{sent} sur {total}',
  'files.progressOf': 'Envoi de {name}',
  'files.cancel': 'Annuler',
  'files.notSent': 'Non envoyé : {name} : {error}',
  'files.noDevices': '{jid} n’a aucun appareil OMEMO : le fichier ne peut pas être chiffré pour ce contact. Désactivez le chiffrement pour l’envoyer en clair.',
  'files.decrypting': 'Déchiffrement d’un fichier…',
  'files.undecryptable': 'Impossible de déchiffrer ce fichier.',
  'files.unavailable': 'Impossible de télécharger ce fichier.',
  'files.tooLarge': 'Impossible de déchiffrer ce fichier : il dépasse la taille que ce serveur Parley accepte de récupérer.',
  'files.imageTooLarge': 'Cette image est trop grande pour être affichée ({width} × {height} pixels).',
  'files.imageAlt': 'Image : {name}',
};
