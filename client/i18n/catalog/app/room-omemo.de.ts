/** German texts of OMEMO in rooms; keys as in room-omemo.en.ts. */
import type { roomOmemoEn } from './room-omemo.en.js';

export const roomOmemoDe: Record<keyof typeof roomOmemoEn, string> = {
  'decrypt.noSender': 'Diese Raumnachricht kann nicht entschlüsselt werden: Der Raum zeigt die echte Adresse des Absenders nicht, die OMEMO braucht.',
  'security.roomTitle': 'Verschlüsselung in {room}',
  'security.roomMembers': 'Geräte der Mitglieder',
  'security.roomMembersHint': 'Nachrichten in dieser privaten Gruppe werden für jedes hier aufgeführte Gerät verschlüsselt. Vergleiche die Fingerabdrücke wie bei einem Kontakt.',
  'security.roomNoMembers': 'Der Raum führt noch keine anderen Mitglieder.',
  'security.roomMembersError': 'Die Mitglieder konnten nicht geladen werden: {error}',
  'security.roomMoreMembers': '{count} weitere Mitglieder sind hier nicht aufgeführt.',
  'security.roomVerifyNotMember': 'Dieser Code gehört zu {jid}, der kein Mitglied dieses Raums ist.',
};
