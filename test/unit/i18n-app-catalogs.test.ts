/**
 * The German and French catalogs of the app page against the English source: same keys, every message a valid ICU
 * message with the same arguments (plural and select ones of the same kind), plurals covering the language's
 * categories, and the typography each catalog promises in its header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntlMessageFormat } from 'intl-messageformat';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { app as english } from '../../client/i18n/catalog/app.en.js';
import { appDe } from '../../client/i18n/catalog/app.de.js';
import { appFr } from '../../client/i18n/catalog/app.fr.js';

type Kind = 'plural' | 'select' | 'simple';
interface Argument {
  kind: Kind;
  /** Option keys of a plural or select. */
  options: string[];
  /** Options whose text shows the number (#), for plurals. */
  withPound: string[];
}

/** Every argument of a message, nested ones included, by name. */
function argumentsOf(message: string): Map<string, Argument> {
  const found = new Map<string, Argument>();
  const hasPound = (els: MessageFormatElement[]): boolean =>
    els.some((el) => el.type === TYPE.pound || (el.type === TYPE.tag && hasPound(el.children)) || (el.type === TYPE.select && Object.values(el.options).some((o) => hasPound(o.value))));
  const walk = (els: MessageFormatElement[]): void => {
    for (const el of els) {
      if (el.type === TYPE.plural || el.type === TYPE.select) {
        const options = Object.entries(el.options);
        found.set(el.value, {
          kind: el.type === TYPE.plural ? 'plural' : 'select',
          options: options.map(([key]) => key).sort(),
          withPound: options.filter(([, o]) => hasPound(o.value)).map(([key]) => key).sort(),
        });
        for (const [, o] of options) walk(o.value);
      } else if (el.type === TYPE.argument || el.type === TYPE.number || el.type === TYPE.date || el.type === TYPE.time) {
        if (!found.has(el.value)) found.set(el.value, { kind: 'simple', options: [], withPound: [] });
      } else if (el.type === TYPE.tag) {
        walk(el.children);
      }
    }
  };
  walk(parse(message));
  return found;
}

/** Sample values for every argument English uses: numbers for plurals, a distinctive text for the rest. */
function sampleValues(args: Map<string, Argument>, count: number, choice: string): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const [name, arg] of args) values[name] = arg.kind === 'plural' ? count : arg.kind === 'select' ? choice : `‹${name}›`;
  return values;
}

const englishArgs = new Map(Object.entries(english).map(([key, message]) => [key, argumentsOf(message)]));
const catalogs = [
  { tag: 'de', catalog: appDe as Record<string, string>, sameAsEnglish: ['app.title', 'app.titleUnread', 'presence.unavailable', 'profile.field.org', 'profile.field.urls', 'contact.nameLabel', 'contact.namePlaceholder'] },
  {
    tag: 'fr',
    catalog: appFr as Record<string, string>,
    sameAsEnglish: ['app.title', 'app.titleUnread', 'roster.label', 'composer.label', 'profile.field.org', 'roster.ungrouped'],
  },
];

test('English itself parses, so it can be the reference', () => {
  assert.ok(englishArgs.size > 200, `only ${englishArgs.size} English messages`);
  assert.deepEqual([...(englishArgs.get('security.trustSet') ?? new Map()).keys()].sort(), ['device', 'trust']);
});

for (const { tag, catalog, sameAsEnglish } of catalogs) {
  const categories = [...new Intl.PluralRules(tag).resolvedOptions().pluralCategories].sort();
  // French "one" is 0 and 1: a spelled-out "un appareil" would be wrong for 0, so there it must show # too.
  const oneIsOnly1 = new Intl.PluralRules(tag).select(0) !== 'one';

  test(`${tag}: exactly the keys of English`, () => {
    assert.deepEqual(Object.keys(catalog).sort(), Object.keys(english).sort());
  });

  test(`${tag}: every message has the arguments of English, plurals and selects of the same kind and options`, () => {
    for (const [key, expected] of englishArgs) {
      const actual = argumentsOf(catalog[key]!);
      assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${tag} ${key}: argument names`);
      for (const [name, want] of expected) {
        const got = actual.get(name)!;
        assert.equal(got.kind, want.kind, `${tag} ${key}: {${name}} is a ${want.kind} in English`);
        if (want.kind === 'select') assert.deepEqual(got.options, want.options, `${tag} ${key}: select options of {${name}}`);
        if (want.kind === 'plural') {
          assert.deepEqual(got.options, categories, `${tag} ${key}: {${name}} covers exactly the plural categories of ${tag}`);
          for (const option of got.options.filter((o) => o !== 'one' || !oneIsOnly1)) {
            assert.ok(got.withPound.includes(option), `${tag} ${key}: the ${option} branch of {${name}} shows the number (#)`);
          }
        }
      }
    }
  });

  test(`${tag}: every message formats, and shows each value it is given`, () => {
    for (const [key, args] of englishArgs) {
      const format = new IntlMessageFormat(catalog[key]!, tag);
      const selects = [...args.values()].find((a) => a.kind === 'select')?.options ?? ['other'];
      for (const choice of selects) {
        const out = String(format.format(sampleValues(args, 5, choice)));
        assert.ok(!/[{}]/.test(out), `${tag} ${key}: braces left in ${JSON.stringify(out)}`);
        for (const [name, arg] of args) if (arg.kind === 'simple') assert.ok(out.includes(`‹${name}›`), `${tag} ${key}: {${name}} missing from ${JSON.stringify(out)}`);
      }
    }
  });

  test(`${tag}: plural messages read differently for 1 and 5`, () => {
    let plurals = 0;
    for (const [key, args] of englishArgs) {
      if (![...args.values()].some((a) => a.kind === 'plural')) continue;
      plurals++;
      const format = new IntlMessageFormat(catalog[key]!, tag);
      const one = String(format.format(sampleValues(args, 1, 'other')));
      const five = String(format.format(sampleValues(args, 5, 'other')));
      assert.notEqual(one, five, `${tag} ${key}`);
      assert.ok(!one.includes('5') && five.includes('5'), `${tag} ${key}: ${one} / ${five}`);
    }
    assert.ok(plurals >= 5, `only ${plurals} plural messages`);
  });

  test(`${tag}: translated: a text equals the English one only where the word is the same`, () => {
    const same = Object.keys(english).filter((key) => catalog[key] === english[key as keyof typeof english]);
    assert.deepEqual(same.sort(), [...sameAsEnglish].sort());
    for (const key of Object.keys(english).filter((k) => k.startsWith('app.'))) assert.match(catalog[key]!, /Parley/, `${tag} ${key}`);
  });

  test(`${tag}: no ASCII apostrophe (ICU quoting) and no straight double quotes`, () => {
    for (const [key, message] of Object.entries(catalog)) assert.ok(!/['"]/.test(message), `${tag} ${key}: ${message}`);
  });
}

test('fr: a narrow no-break space (U+202F) before : ; ? ! and inside « », never a plain or U+00A0 one', () => {
  for (const [key, message] of Object.entries(appFr)) {
    assert.ok(!/[ \u00a0][:;?!]|[^\u202f][:;?!](?=\s|$)/.test(message), `${key}: ${JSON.stringify(message)}`);
    assert.ok(!/«[^\u202f]|[^\u202f]»/.test(message), `${key}: guillemets in ${JSON.stringify(message)}`);
  }
});

test('fr: one covers 0 and 1, many exact millions', () => {
  const format = new IntlMessageFormat(appFr['handover.messages'], 'fr');
  assert.equal(format.format({ count: 0 }), '0 message');
  assert.equal(format.format({ count: 1 }), '1 message');
  assert.equal(format.format({ count: 2 }), '2 messages');
  assert.equal(format.format({ count: 1_000_000 }), '1\u202f000\u202f000 de messages');
});

test('de: one is only 1', () => {
  const format = new IntlMessageFormat(appDe['roster.unread'], 'de');
  assert.equal(format.format({ count: 0 }), '0 ungelesene Nachrichten');
  assert.equal(format.format({ count: 1 }), '1 ungelesene Nachricht');
});
