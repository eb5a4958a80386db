/** English texts of message rendering: reactions (XEP-0444), the emoji picker, replies (XEP-0461) (spread into app.en.ts). */
export const renderingEn = {
  'message.showMore': 'Show more',
  'reactions.label': 'Reactions',
  'reactions.add': 'React',
  'reactions.you': 'You',
  'reactions.who': '{names} reacted with {emoji}',
  'reactions.pickerLabel': 'Choose a reaction',
  'reactions.search': 'Search emoji',
  'reactions.noMatch': 'No emoji found.',
  'reply.action': 'Reply',
  'reply.jump': 'Show the quoted message',
  'reply.unknown': 'Quoted message',
  'reply.replyingTo': 'Replying to {name}',
  'reply.cancel': 'Cancel reply',
  'reply.missing': 'The quoted message is not available in this history.',
} as const;
