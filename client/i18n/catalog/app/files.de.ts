/** German texts of files; keys as in files.en.ts. */
import type { filesEn } from './files.en.js';

export const filesDe: Record<keyof typeof filesEn, string> = {
  'files.uploads': 'Dateien, die gesendet werden',
  'files.queued': 'Wartet …',
  'files.encrypting': 'Wird verschlüsselt …',
  'files.sendingLink': 'Wird gesendet …',
  'files.progress': '{sent} von {total}',
  'files.progressOf': '{name} wird gesendet',
  'files.cancel': 'Abbrechen',
  'files.notSent': 'Nicht gesendet: {name}: {error}',
  'files.noDevices': '{jid} hat keine OMEMO-Geräte, daher kann die Datei nicht für diesen Kontakt verschlüsselt werden. Schalte die Verschlüsselung aus, um sie unverschlüsselt zu senden.',
  'files.decrypting': 'Eine Datei wird entschlüsselt …',
  'files.undecryptable': 'Diese Datei konnte nicht entschlüsselt werden.',
  'files.unavailable': 'Diese Datei konnte nicht heruntergeladen werden.',
  'files.tooLarge': 'Diese Datei konnte nicht entschlüsselt werden: Sie ist größer, als dieser Parley-Server abruft.',
  'files.imageTooLarge': 'Dieses Bild ist zu groß zum Anzeigen ({width} × {height} Pixel).',
  'files.imageAlt': 'Bild: {name}',
};
