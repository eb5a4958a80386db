/** German texts of avatars; keys as in avatar.en.ts. */
import type { avatarEn } from './avatar.en.js';

export const avatarDe: Record<keyof typeof avatarEn, string> = {
  'avatar.heading': 'Dein Bild',
  'avatar.hint': 'Deine Kontakte sehen es. Es wird mittig quadratisch zugeschnitten.',
  'avatar.choose': 'Bild auswählen',
  'avatar.saving': 'Dein Bild wird gespeichert …',
  'avatar.saved': 'Bild gespeichert.',
  'avatar.unreadable': 'Diese Datei konnte nicht als Bild gelesen werden.',
  'avatar.failed': 'Das Bild konnte nicht gespeichert werden: {reason}',
  'avatar.of': 'Bild von {name}',
  'avatar.remove': 'Dein Bild entfernen',
  'avatar.removed': 'Bild entfernt. Deine Kontakte sehen stattdessen deine Initiale.',
};
