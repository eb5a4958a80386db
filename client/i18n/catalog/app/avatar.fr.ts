/** French texts of avatars; keys as in avatar.en.ts (typography as in app.fr.ts). */
import type { avatarEn } from './avatar.en.js';

export const avatarFr: Record<keyof typeof avatarEn, string> = {
  'avatar.heading': 'Votre image',
  'avatar.hint': 'Vos contacts la voient. Elle est recadrée en carré, au centre.',
  'avatar.choose': 'Choisir une image',
  'avatar.saving': 'Enregistrement de votre image…',
  'avatar.saved': 'Image enregistrée.',
  'avatar.unreadable': 'Ce fichier n’a pas pu être lu comme une image.',
  'avatar.failed': 'L’image n’a pas pu être enregistrée\u202F: {reason}',
  'avatar.of': 'Image de {name}',
  'avatar.remove': 'Supprimer votre image',
  'avatar.removed': 'Image supprimée. Vos contacts voient votre initiale à la place.',
};
