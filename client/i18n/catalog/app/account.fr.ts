/** French texts of the settings' account section (see account.en.ts). */
import type { accountEn } from './account.en.js';

export const accountFr: Record<keyof typeof accountEn, string> = {
  'settings.account': 'Compte',
  'settings.accountHint': 'Changer votre mot de passe, voir et déconnecter vos navigateurs, voir vos appareils de chiffrement ou supprimer le compte.',
  'settings.accountManage': 'Gérer le compte',
};
