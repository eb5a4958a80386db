/** English texts of avatars: choosing our own picture in the settings (spread into app.en.ts). */
export const avatarEn = {
  'avatar.heading': 'Your picture',
  'avatar.hint': 'Your contacts see it. It is cropped to a square in the middle.',
  'avatar.choose': 'Choose a picture',
  'avatar.saving': 'Saving your picture…',
  'avatar.saved': 'Picture saved.',
  'avatar.unreadable': 'That file could not be read as a picture.',
  'avatar.failed': 'The picture could not be saved: {reason}',
  'avatar.of': 'Picture of {name}',
  'avatar.remove': 'Remove your picture',
  'avatar.removed': 'Picture removed. Your contacts see your initial instead.',
} as const;
