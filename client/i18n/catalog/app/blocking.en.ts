/** English texts of blocking (XEP-0191): the block buttons, the note in a conversation, the settings list (spread into app.en.ts). */
export const blockingEn = {
  'blocking.block': 'Block',
  'blocking.unblock': 'Unblock',
  'blocking.blockContact': 'Block contact',
  'blocking.blockConfirm': 'Really block? You will not see their messages or presence.',
  'blocking.blockConfirmButton': 'Yes, block',
  'blocking.blocked': 'Blocked.',
  'blocking.unblocked': 'Unblocked.',
  'blocking.note': 'You blocked this contact. You do not receive their messages or see their presence.',
  'blocking.rosterMark': 'Blocked',
  'blocking.blockRequestLabel': 'Block {jid}',
  'blocking.settingsTitle': 'Blocked contacts',
  'blocking.settingsHint': 'Nothing these addresses send reaches you, on any of your devices that support blocking.',
  'blocking.settingsEmpty': 'You have blocked nobody.',
  'blocking.unsupported': 'Your XMPP server does not support blocking.',
  'blocking.unblockLabel': 'Unblock {jid}',
} as const;
