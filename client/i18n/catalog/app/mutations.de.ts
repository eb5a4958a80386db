/** German texts of message mutations; keys as in mutations.en.ts. */
import type { mutationsEn } from './mutations.en.js';

export const mutationsDe: Record<keyof typeof mutationsEn, string> = {
  'mutations.typing': '{name} schreibt…',
  'mutations.edited': 'bearbeitet',
  'mutations.editedTitle': 'Bearbeitet {time}. Frühere Fassungen zeigen',
  'mutations.versionsTitle': 'Frühere Fassungen',
  'mutations.versionsLoading': 'Wird geladen…',
  'mutations.versionsEmpty': 'Es sind keine früheren Fassungen gespeichert.',
  'mutations.versionLabel': 'Fassung {n}, {time}',
  'mutations.versionUnreadable': 'Diese Fassung kann in diesem Tab nicht entschlüsselt werden.',
  'mutations.close': 'Schließen',
  'mutations.retracted': 'Diese Nachricht wurde zurückgezogen.',
  'mutations.actions': 'Aktionen für die Nachricht',
  'mutations.edit': 'Bearbeiten',
  'mutations.retract': 'Für alle zurückziehen',
  'mutations.retractConfirm': 'Diese Nachricht für alle zurückziehen? Die App deines Kontakts wird gebeten, sie zu entfernen; Apps ohne diese Funktion zeigen sie weiter an.',
  'mutations.delete': 'Für mich löschen',
  'mutations.deleteConfirm': 'Diese Nachricht für dich löschen? Sie verschwindet in allen deinen Browsern aus Parley. Die Kopien im Archiv deines XMPP-Servers und bei deinem Kontakt bleiben.',
  'mutations.deleteConversation': 'Löschen',
  'mutations.deleteConversationTitle': 'Diese Unterhaltung für dich löschen',
  'mutations.deleteConversationConfirm': 'Die ganze Unterhaltung mit {name} für dich löschen? Sie verschwindet in allen deinen Browsern aus Parley. Die Kopien im Archiv deines XMPP-Servers und bei {name} bleiben.',
  'mutations.editing': 'Du bearbeitest deine Nachricht. Escape bricht ab.',
  'mutations.cancelEdit': 'Bearbeiten abbrechen',
  'mutations.failed': 'Das hat nicht geklappt: {error}',
};
