/** translate.ts formats text without ICU syntax as itself: for every message of every catalog, exactly what ICU gives. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntlMessageFormat } from 'intl-messageformat';
import { en } from '../../client/i18n/catalog/en.js';
import { de } from '../../client/i18n/catalog/de.js';
import { fr } from '../../client/i18n/catalog/fr.js';
import { createTranslator, englishTranslator } from '../../client/i18n/translate.js';

const catalogs = { en, de, fr } as Record<string, Partial<Record<string, string>>>;

test('every message formats as IntlMessageFormat formats it, plain ones included', () => {
  const english = englishTranslator(en as Record<string, string>);
  let plain = 0;
  for (const [tag, catalog] of Object.entries(catalogs)) {
    const t = createTranslator(tag, catalog, english);
    for (const [key, source] of Object.entries(catalog)) {
      if (typeof source !== 'string' || !/^[^{}<>']*$/.test(source)) continue;
      plain++;
      const icu = new IntlMessageFormat(source, tag).format();
      assert.equal(t(key), Array.isArray(icu) ? icu.join('') : String(icu), `${tag} ${key}`);
    }
  }
  assert.ok(plain > 100, `only ${plain} plain messages: the test would prove little`);
});

test('messages with arguments, plurals or quotes still go through ICU', () => {
  const t = englishTranslator({ count: '{n, plural, one {# message} other {# messages}}', quoted: "it''s '{'literal'}'", name: 'Hello {name}' });
  assert.equal(t('count', { n: 2 }), '2 messages');
  assert.equal(t('quoted'), "it's {literal}");
  assert.equal(t('name', { name: '<b>' }), 'Hello <b>');
});
