/** `t` in English over every catalog key (app and pages): the server's default, and the fallback of its translators. */
import { en, type MessageKey } from './catalog/en.js';
import { englishTranslator, type Translate } from './translate.js';

export type ServerTranslate = Translate<MessageKey>;
export const translateEn: ServerTranslate = englishTranslator<MessageKey>(en);
