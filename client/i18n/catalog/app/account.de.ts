/** German texts of the settings' account section (see account.en.ts). */
import type { accountEn } from './account.en.js';

export const accountDe: Record<keyof typeof accountEn, string> = {
  'settings.account': 'Konto',
  'settings.accountHint': 'Passwort ändern, deine Browser sehen und abmelden, deine Verschlüsselungsgeräte sehen oder das Konto löschen.',
  'settings.accountManage': 'Konto verwalten',
};
