/** English texts of the settings' account section (spread into app.en.ts); the account page itself is in pages/account.en.ts. */
export const accountEn = {
  'settings.account': 'Account',
  'settings.accountHint': 'Change your password, see and sign out your browsers, see your encryption devices, or delete the account.',
  'settings.accountManage': 'Manage account',
} as const;
