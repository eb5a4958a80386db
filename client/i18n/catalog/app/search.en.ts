/** English texts of message search, the jump to a hit and conversation mutes (spread into app.en.ts). */
export const searchEn = {
  'search.label': 'Search messages',
  'search.placeholder': 'Search messages',
  'search.submit': 'Search',
  'search.clear': 'Clear search',
  'search.searching': 'Searching…',
  'search.none': 'No messages found.',
  'search.more': 'More results',
  'search.error': 'Search failed: {error}',
  'search.encrypted': 'Encrypted, read in this browser',
  'search.hitLabel': '{name}, {when}: {text}',
  'search.results': '{count, plural, one {# result} other {# results}}',
  'mute.mute': 'Mute',
  'mute.unmute': 'Unmute',
  'mute.muteTitle': 'No notifications for this conversation (unread messages are still counted)',
  'mute.unmuteTitle': 'Notifications for this conversation again',
  'history.newer': 'Loading newer messages…',
} as const;
