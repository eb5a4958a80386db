/** English texts of the own-profile editor in the settings (spread into app.en.ts). */
export const ownProfileEn = {
  'ownProfile.heading': 'Your profile',
  'ownProfile.hint': 'Your contacts see these details. Leave a field empty to remove it.',
  'ownProfile.onePerLine': 'One per line.',
  'ownProfile.save': 'Save profile',
  'ownProfile.saved': 'Profile saved.',
  'ownProfile.failed': 'The profile could not be saved: {reason}',
  'ownProfile.loadFailed': 'Your profile could not be loaded: {reason}',
} as const;
