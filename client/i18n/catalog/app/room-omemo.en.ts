/** English texts of OMEMO in rooms: the Security panel's member section, room decryption states (spread into app.en.ts). */
export const roomOmemoEn = {
  'decrypt.noSender': "This room message cannot be decrypted: the room does not show the sender's real address, which OMEMO needs.",
  'security.roomTitle': 'Encryption in {room}',
  'security.roomMembers': "Members' devices",
  'security.roomMembersHint': 'Messages in this private group are encrypted to every device listed here. Compare fingerprints as with a contact.',
  'security.roomNoMembers': 'The room lists no other members yet.',
  'security.roomMembersError': 'Could not load the members: {error}',
  'security.roomMoreMembers': '{count} more members are not listed here.',
  'security.roomVerifyNotMember': 'This code belongs to {jid}, who is not a member of this room.',
} as const;
