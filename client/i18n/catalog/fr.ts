/** The French catalog: a separate chunk in the browser, loaded only when French is chosen. */
import type { Catalog } from './en.js';
import { appFr } from './app.fr.js';
import { pagesFr } from './pages.fr.js';

export const fr: Partial<Catalog> = { ...appFr, ...pagesFr };
