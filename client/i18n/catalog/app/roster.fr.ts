/** French texts of the contact list, subscription requests and the contact editor; keys as in roster.en.ts. */
import type { rosterEn } from './roster.en.js';

export const rosterFr: Record<keyof typeof rosterEn, string> = {
  'roster.recent': 'Récents',
  'roster.ungrouped': 'Contacts',
  'roster.filterLabel': 'Filtrer les contacts par nom ou adresse',
  'roster.filterPlaceholder': 'Filtrer les contacts',
  'roster.noMatch': 'Aucun contact ne correspond.',
  'roster.groupCount': '{count, plural, one {# contact} many {# contacts} other {# contacts}}',

  'requests.heading': '{count, plural, one {# personne demande à voir quand vous êtes en ligne} many {# personnes demandent à voir quand vous êtes en ligne} other {# personnes demandent à voir quand vous êtes en ligne}}',
  'requests.asks': 'demande à voir quand vous êtes en ligne',
  'requests.approve': 'Accepter',
  'requests.deny': 'Refuser',
  'requests.review': 'Voir',
  'requests.denyAll': 'Tout refuser',
  'requests.more': '{count, plural, one {et # autre, affichée après votre réponse} many {et # autres, affichées après votre réponse} other {et # autres, affichées après votre réponse}}',

  'contact.nameLabel': 'Nom',
  'contact.namePlaceholder': 'Nom (facultatif)',
  'contact.groupsLabel': 'Groupes',
  'contact.groupsPlaceholder': 'Groupes, séparés par des virgules',
  'contact.save': 'Enregistrer',
  'contact.saved': 'Enregistré.',
  'contact.remove': 'Retirer le contact',
  'contact.removeConfirm': 'Vraiment retirer ?',
  'contact.removed': 'Retiré de vos contacts.',
  'contact.add': 'Ajouter aux contacts',
  'contact.addedHere': 'Ajouté. En attente de son accord.',
};
