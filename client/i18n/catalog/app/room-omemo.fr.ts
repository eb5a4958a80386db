/** French texts of OMEMO in rooms; keys as in room-omemo.en.ts. */
import type { roomOmemoEn } from './room-omemo.en.js';

export const roomOmemoFr: Record<keyof typeof roomOmemoEn, string> = {
  'decrypt.noSender': 'Ce message de salon ne peut pas être déchiffré : le salon ne montre pas l’adresse réelle de l’expéditeur, dont OMEMO a besoin.',
  'security.roomTitle': 'Chiffrement dans {room}',
  'security.roomMembers': 'Appareils des membres',
  'security.roomMembersHint': 'Les messages de ce groupe privé sont chiffrés pour chaque appareil listé ici. Comparez les empreintes comme avec un contact.',
  'security.roomNoMembers': 'Le salon ne compte encore aucun autre membre.',
  'security.roomMembersError': 'Impossible de charger les membres : {error}',
  'security.roomMoreMembers': '{count} autres membres ne sont pas listés ici.',
  'security.roomVerifyNotMember': 'Ce code appartient à {jid}, qui n’est pas membre de ce salon.',
};
