/** French texts of message search, the jump to a hit and conversation mutes (spread into app.fr.ts). */
export const searchFr = {
  'search.label': 'Rechercher dans les messages',
  'search.placeholder': 'Rechercher dans les messages',
  'search.submit': 'Rechercher',
  'search.clear': 'Effacer la recherche',
  'search.searching': 'Recherche…',
  'search.none': 'Aucun message trouvé.',
  'search.more': 'Plus de résultats',
  'search.error': 'La recherche a échoué : {error}',
  'search.encrypted': 'Chiffré, lu dans ce navigateur',
  'search.hitLabel': '{name}, {when} : {text}',
  'search.results': '{count, plural, one {# résultat} many {# résultats} other {# résultats}}',
  'mute.mute': 'Mettre en sourdine',
  'mute.unmute': 'Réactiver',
  'mute.muteTitle': 'Aucune notification pour cette conversation (les messages non lus sont toujours comptés)',
  'mute.unmuteTitle': 'De nouveau des notifications pour cette conversation',
  'history.newer': 'Chargement des messages plus récents…',
} as const;
