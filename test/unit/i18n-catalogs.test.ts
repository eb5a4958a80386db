/**
 * Every catalog against English: all keys present, every message valid ICU, and each translation uses the same
 * arguments as English (same names; a plural or select stays one). Fails while the app's English texts grow
 * faster than their translations: that is its job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { en } from '../../client/i18n/catalog/en.js';
import { de } from '../../client/i18n/catalog/de.js';
import { fr } from '../../client/i18n/catalog/fr.js';

const translations = { de, fr } as const;

/** "name:kind" for every argument, nested ones too; kind is plural, select, tag or value (plain, number, date, time). */
function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    switch (el.type) {
      case TYPE.argument:
      case TYPE.number:
      case TYPE.date:
      case TYPE.time:
        into.add(`${el.value}:value`);
        break;
      case TYPE.plural:
        into.add(`${el.value}:plural`);
        for (const option of Object.values(el.options)) argumentsOf(option.value, into);
        break;
      case TYPE.select:
        into.add(`${el.value}:select`);
        for (const option of Object.values(el.options)) argumentsOf(option.value, into);
        break;
      case TYPE.tag:
        into.add(`${el.value}:tag`);
        argumentsOf(el.children, into);
        break;
      default:
        break;
    }
  }
  return into;
}

const sorted = (s: Set<string>) => [...s].sort();

test('every English message parses as ICU', () => {
  for (const [key, message] of Object.entries(en)) {
    assert.doesNotThrow(() => parse(message), `en ${key}: ${message}`);
  }
});

for (const [tag, catalog] of Object.entries(translations)) {
  test(`${tag}: every English key is translated`, () => {
    const missing = Object.keys(en).filter((key) => typeof (catalog as Record<string, unknown>)[key] !== 'string');
    assert.deepEqual(missing, [], `${tag} lacks ${missing.length} key(s)`);
  });

  test(`${tag}: no key that English does not have`, () => {
    const stray = Object.keys(catalog).filter((key) => !Object.hasOwn(en, key));
    assert.deepEqual(stray, []);
  });

  test(`${tag}: every message parses and has the arguments of its English source`, () => {
    for (const [key, message] of Object.entries(catalog) as [keyof typeof en, string][]) {
      let ast: MessageFormatElement[] = [];
      assert.doesNotThrow(() => (ast = parse(message)), `${tag} ${key}: ${message}`);
      assert.deepEqual(sorted(argumentsOf(ast)), sorted(argumentsOf(parse(en[key]))), `${tag} ${key}: arguments differ from English`);
    }
  });
}

test('the argument check sees a renamed placeholder and a plural turned plain', () => {
  assert.notDeepEqual(sorted(argumentsOf(parse('Hallo {nmae}'))), sorted(argumentsOf(parse('Hello {name}'))));
  assert.notDeepEqual(sorted(argumentsOf(parse('{n} Zeichen'))), sorted(argumentsOf(parse('{n, plural, one {# char} other {# chars}}'))));
});
