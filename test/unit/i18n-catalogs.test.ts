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

type Kind = 'value' | 'plural' | 'select' | 'tag';

/** Every argument by name, nested ones too; kind is plural, select, tag or value (plain, number, date, time). */
function argumentsOf(elements: MessageFormatElement[], into = new Map<string, Kind>()): Map<string, Kind> {
  for (const el of elements) {
    switch (el.type) {
      case TYPE.argument:
      case TYPE.number:
      case TYPE.date:
      case TYPE.time:
        if (!into.has(el.value)) into.set(el.value, 'value');
        break;
      case TYPE.plural:
        into.set(el.value, 'plural');
        for (const option of Object.values(el.options)) argumentsOf(option.value, into);
        break;
      case TYPE.select:
        into.set(el.value, 'select');
        for (const option of Object.values(el.options)) argumentsOf(option.value, into);
        break;
      case TYPE.tag:
        into.set(el.value, 'tag');
        argumentsOf(el.children, into);
        break;
      default:
        break;
    }
  }
  return into;
}

/**
 * What differs between a translation's arguments and English's: none may be missing or new, a plural or select
 * stays one; a translation may pluralise a number that English shows plain (its grammar may need it).
 */
function argumentMismatch(translation: string, english: string): string[] {
  const ours = argumentsOf(parse(translation));
  const theirs = argumentsOf(parse(english));
  const problems: string[] = [];
  for (const [name, kind] of theirs) {
    const mine = ours.get(name);
    if (!mine) problems.push(`{${name}} missing`);
    else if (mine !== kind && !(kind === 'value' && mine === 'plural')) problems.push(`{${name}} is ${mine}, English has ${kind}`);
  }
  for (const name of ours.keys()) if (!theirs.has(name)) problems.push(`{${name}} is not in English`);
  return problems;
}

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
      assert.doesNotThrow(() => parse(message), `${tag} ${key}: ${message}`);
      assert.deepEqual(argumentMismatch(message, en[key]), [], `${tag} ${key}: arguments differ from English`);
    }
  });
}

test('the argument check sees a renamed placeholder and a plural turned plain, and lets a number be pluralised', () => {
  assert.deepEqual(argumentMismatch('Hallo {nmae}', 'Hello {name}'), ['{name} missing', '{nmae} is not in English']);
  assert.deepEqual(argumentMismatch('{n} Zeichen', '{n, plural, one {# char} other {# chars}}'), ['{n} is value, English has plural']);
  assert.deepEqual(argumentMismatch('{n, plural, one {# konnte} other {# konnten}} nicht', '{n} could not'), []);
  assert.deepEqual(argumentMismatch('{a, select, x {1} other {2}}', '{a, select, x {1} other {2}} {b}'), ['{b} missing']);
});
