/** English texts of the app page (client/ui). The source catalog: every other language is checked against it. */
export const app = {
  'app.title': 'Parley',
  'app.titleUnread': '({count}) Parley',
} as const;
