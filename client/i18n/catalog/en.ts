/** The complete English catalog: the source language, and the fallback for a key another catalog lacks. */
import { app } from './app.en.js';
import { pages } from './pages.en.js';

export const en = { ...app, ...pages } as const;
export type MessageKey = keyof typeof en;
export type Catalog = Record<MessageKey, string>;

export function isMessageKey(key: unknown): key is MessageKey {
  return typeof key === 'string' && Object.hasOwn(en, key);
}
