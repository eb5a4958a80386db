/** German texts of the own-profile editor in the settings (spread into app.de.ts). */
export const ownProfileDe = {
  'ownProfile.heading': 'Dein Profil',
  'ownProfile.hint': 'Deine Kontakte sehen diese Angaben. Lass ein Feld leer, um es zu entfernen.',
  'ownProfile.onePerLine': 'Eine Angabe pro Zeile.',
  'ownProfile.save': 'Profil speichern',
  'ownProfile.saved': 'Profil gespeichert.',
  'ownProfile.failed': 'Das Profil konnte nicht gespeichert werden: {reason}',
  'ownProfile.loadFailed': 'Dein Profil konnte nicht geladen werden: {reason}',
} as const;
