/** French texts of the own-profile editor in the settings (spread into app.fr.ts). */
export const ownProfileFr = {
  'ownProfile.heading': 'Votre profil',
  'ownProfile.hint': 'Vos contacts voient ces informations. Laissez un champ vide pour le retirer.',
  'ownProfile.onePerLine': 'Une valeur par ligne.',
  'ownProfile.save': 'Enregistrer le profil',
  'ownProfile.saved': 'Profil enregistré.',
  'ownProfile.failed': 'Le profil n’a pas pu être enregistré : {reason}',
  'ownProfile.loadFailed': 'Votre profil n’a pas pu être chargé : {reason}',
} as const;
