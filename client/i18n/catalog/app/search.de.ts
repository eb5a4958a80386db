/** German texts of message search, the jump to a hit and conversation mutes (spread into app.de.ts). */
export const searchDe = {
  'search.label': 'Nachrichten durchsuchen',
  'search.placeholder': 'Nachrichten durchsuchen',
  'search.submit': 'Suchen',
  'search.clear': 'Suche löschen',
  'search.searching': 'Suche läuft …',
  'search.none': 'Keine Nachrichten gefunden.',
  'search.more': 'Weitere Treffer',
  'search.error': 'Suche fehlgeschlagen: {error}',
  'search.encrypted': 'Verschlüsselt, in diesem Browser gelesen',
  'search.hitLabel': '{name} am {when}: {text}',
  'search.results': '{count, plural, one {# Treffer} other {# Treffer}}',
  'mute.mute': 'Stummschalten',
  'mute.unmute': 'Ton an',
  'mute.muteTitle': 'Keine Benachrichtigungen für dieses Gespräch (ungelesene Nachrichten werden weiter gezählt)',
  'mute.unmuteTitle': 'Wieder Benachrichtigungen für dieses Gespräch',
  'history.newer': 'Neuere Nachrichten werden geladen …',
} as const;
