/** German texts of the contact list, subscription requests and the contact editor; keys as in roster.en.ts. */
import type { rosterEn } from './roster.en.js';

export const rosterDe: Record<keyof typeof rosterEn, string> = {
  'roster.recent': 'Zuletzt',
  'roster.ungrouped': 'Kontakte',
  'roster.filterLabel': 'Kontakte nach Name oder Adresse filtern',
  'roster.filterPlaceholder': 'Kontakte filtern',
  'roster.noMatch': 'Kein Kontakt passt.',
  'roster.groupCount': '{count, plural, one {# Kontakt} other {# Kontakte}}',

  'requests.heading': '{count, plural, one {# Person möchte sehen, wann du online bist} other {# Personen möchten sehen, wann du online bist}}',
  'requests.asks': 'möchte sehen, wann du online bist',
  'requests.approve': 'Annehmen',
  'requests.deny': 'Ablehnen',
  'requests.review': 'Ansehen',
  'requests.denyAll': 'Alle ablehnen',
  'requests.more': '{count, plural, one {und # weitere, sichtbar sobald du diese beantwortest} other {und # weitere, sichtbar sobald du diese beantwortest}}',

  'contact.nameLabel': 'Name',
  'contact.namePlaceholder': 'Name (optional)',
  'contact.groupsLabel': 'Gruppen',
  'contact.groupsPlaceholder': 'Gruppen, durch Kommas getrennt',
  'contact.save': 'Speichern',
  'contact.saved': 'Gespeichert.',
  'contact.remove': 'Kontakt entfernen',
  'contact.removeConfirm': 'Wirklich entfernen?',
  'contact.removed': 'Aus deinen Kontakten entfernt.',
  'contact.add': 'Zu Kontakten hinzufügen',
  'contact.addedHere': 'Hinzugefügt. Wartet auf Bestätigung.',
};
