/** French texts of the app page. Partial while the app's English texts grow: test/unit/i18n-catalogs.test.ts asks for all. */
import type { app } from './app.en.js';

export const appFr: Partial<Record<keyof typeof app, string>> = {
  'app.title': 'Parley',
  'app.titleUnread': '({count}) Parley',
};
