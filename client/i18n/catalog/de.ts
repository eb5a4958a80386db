/** The German catalog: a separate chunk in the browser, loaded only when German is chosen. */
import type { Catalog } from './en.js';
import { appDe } from './app.de.js';
import { pagesDe } from './pages.de.js';

export const de: Partial<Catalog> = { ...appDe, ...pagesDe };
