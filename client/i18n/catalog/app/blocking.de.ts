/** German texts of blocking (XEP-0191); keys as in blocking.en.ts. */
import type { blockingEn } from './blocking.en.js';

export const blockingDe: Record<keyof typeof blockingEn, string> = {
  'blocking.block': 'Blockieren',
  'blocking.unblock': 'Freigeben',
  'blocking.blockContact': 'Kontakt blockieren',
  'blocking.blockConfirm': 'Wirklich blockieren? Du siehst dann weder Nachrichten noch Status dieser Person.',
  'blocking.blockConfirmButton': 'Ja, blockieren',
  'blocking.blocked': 'Blockiert.',
  'blocking.unblocked': 'Freigegeben.',
  'blocking.note': 'Du hast diesen Kontakt blockiert. Du erhältst keine Nachrichten und siehst keinen Status von ihm.',
  'blocking.rosterMark': 'Blockiert',
  'blocking.blockRequestLabel': '{jid} blockieren',
  'blocking.settingsTitle': 'Blockierte Kontakte',
  'blocking.settingsHint': 'Nichts, was diese Adressen senden, erreicht dich – auf allen deinen Geräten, die Blockieren unterstützen.',
  'blocking.settingsEmpty': 'Du hast niemanden blockiert.',
  'blocking.unsupported': 'Dein XMPP-Server unterstützt kein Blockieren.',
  'blocking.unblockLabel': '{jid} freigeben',
};
