/** English texts of the contact list, subscription requests and the contact editor (spread into app.en.ts). */
export const rosterEn = {
  'roster.recent': 'Recent',
  'roster.ungrouped': 'Contacts',
  'roster.filterLabel': 'Filter contacts by name or address',
  'roster.filterPlaceholder': 'Filter contacts',
  'roster.noMatch': 'No contact matches.',
  'roster.groupCount': '{count, plural, one {# contact} other {# contacts}}',

  'requests.heading': '{count, plural, one {# person asks to see when you are online} other {# people ask to see when you are online}}',
  'requests.asks': 'wants to see when you are online',
  'requests.approve': 'Accept',
  'requests.deny': 'Deny',
  'requests.review': 'Review',
  'requests.denyAll': 'Deny all',
  'requests.more': '{count, plural, one {and # more, shown once you answer these} other {and # more, shown once you answer these}}',

  'contact.nameLabel': 'Name',
  'contact.namePlaceholder': 'Name (optional)',
  'contact.groupsLabel': 'Groups',
  'contact.groupsPlaceholder': 'Groups, separated by commas',
  'contact.save': 'Save',
  'contact.saved': 'Saved.',
  'contact.remove': 'Remove contact',
  'contact.removeConfirm': 'Really remove?',
  'contact.removed': 'Removed from your contacts.',
  'contact.add': 'Add to contacts',
  'contact.addedHere': 'Added. Waiting for their approval.',
} as const;
