/** The shared search text rules (terms, match ranges, snippets) and the server's search SQL. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchTerms, matchRanges, matchesAll, snippet, snippetRuns, MAX_TERMS } from '../../server/realtime/contract/search-text.js';
import { buildSearchSql, likePattern } from '../../server/store/search.js';

test('terms: lower-cased, distinct, a word inside another dropped, longest first, bounded', () => {
  assert.deepEqual(searchTerms('  Lunch  at NOON lunch '), ['lunch', 'noon', 'at']);
  assert.deepEqual(searchTerms('meet meeting'), ['meeting']);
  assert.deepEqual(searchTerms(' \t\n'), []);
  assert.equal(searchTerms(Array.from({ length: 20 }, (_, i) => `w${String(i).padStart(2, '0')}`).join(' ')).length, MAX_TERMS);
  assert.equal(Array.from(searchTerms('😀'.repeat(100))[0]!).length, 64, 'a term is cut by code points, never inside a pair');
});

test('ranges: every occurrence, case-insensitive, merged, offsets of the original text', () => {
  assert.deepEqual(matchRanges('Lunch? LUNCH! lunchtime', ['lunch']), [[0, 5], [7, 12], [14, 19]]);
  assert.deepEqual(matchRanges('abcabc', ['abc', 'bca']), [[0, 6]]);
  // İ lower-cases to two UTF-16 units: the range still covers the original one character.
  assert.deepEqual(matchRanges('xİy', ['y']), [[2, 3]]);
  assert.deepEqual(matchRanges('😀 smile', ['smile']), [[3, 8]]);
  assert.deepEqual(matchRanges('nothing', []), []);
  assert.equal(matchesAll('Lunch at noon', ['noon', 'lunch']), true);
  assert.equal(matchesAll('Lunch at noon', ['noon', 'dinner']), false);
  assert.equal(matchesAll('anything', []), false);
});

test('snippet: a window around the first hit with ranges into it; never half a surrogate pair', () => {
  const long = `${'a'.repeat(300)} needle ${'b'.repeat(300)}`;
  const s = snippet(long, ['needle'], 100);
  assert.equal(s.text.length, 100);
  assert.equal(s.cutStart, true);
  assert.equal(s.cutEnd, true);
  assert.equal(s.ranges.length, 1);
  assert.equal(s.text.slice(s.ranges[0]![0], s.ranges[0]![1]), 'needle');

  const short = snippet('say hi', ['hi']);
  assert.deepEqual(short, { text: 'say hi', ranges: [[4, 6]], cutStart: false, cutEnd: false });

  const emoji = snippet(`${'😀'.repeat(100)}x`, ['x'], 51);
  assert.equal(/^[\udc00-\udfff]/.test(emoji.text) || /[\ud800-\udbff]$/.test(emoji.text), false);
  assert.equal(emoji.text.endsWith('x'), true);
});

test('runs: plain and hit pieces; nonsense ranges from the network are ignored, text kept whole', () => {
  assert.deepEqual(snippetRuns({ text: 'say hi there', ranges: [[4, 6]] }), [
    { text: 'say ', hit: false }, { text: 'hi', hit: true }, { text: ' there', hit: false },
  ]);
  const bad = snippetRuns({ text: 'abc', ranges: [[2, 1], [0, 99], [-1, 2]] });
  assert.equal(bad.map((r) => r.text).join(''), 'abc');
  assert.equal(bad.some((r) => r.hit), false);
});

test('SQL: account first, encrypted rows excluded, one ILIKE parameter per term, cursor and limit as parameters', () => {
  const { text, values } = buildSearchSql({ accountId: '7', terms: ['lunch', "o'clock"], peer: 'bob@example.org', limit: 20 });
  assert.match(text, /"accountId" = \$1 AND encrypted IS NULL AND body IS NOT NULL AND peer = \$2 AND body ILIKE \$3 AND body ILIKE \$4/);
  assert.match(text, /ORDER BY stamp DESC, id DESC LIMIT \$5$/);
  assert.deepEqual(values, ['7', 'bob@example.org', '%lunch%', "%o'clock%", 21]);
  assert.equal(text.includes('lunch'), false, 'terms never in the SQL text');

  const paged = buildSearchSql({ accountId: '7', terms: ['x'], before: { stamp: new Date('2024-01-01T00:00:00Z'), id: '42' }, limit: 500 });
  assert.match(paged.text, /\(stamp, id\) < \(\$3::timestamptz, \$4::bigint\)/);
  assert.equal(paged.values.at(-1), 101, 'the limit is bounded');
  assert.throws(() => buildSearchSql({ accountId: '7', terms: [], limit: 5 }), RangeError);
  assert.throws(() => buildSearchSql({ accountId: '7', terms: ['x'], before: { stamp: new Date('nope'), id: '1' }, limit: 5 }), RangeError);
  assert.throws(() => buildSearchSql({ accountId: '7', terms: ['x'], before: { stamp: new Date(), id: '1; DROP' }, limit: 5 }), RangeError);
});

test('LIKE patterns: the wildcard characters of a term are escaped', () => {
  assert.equal(likePattern('100%'), '%100\\%%');
  assert.equal(likePattern('a_b'), '%a\\_b%');
  assert.equal(likePattern('c:\\dir'), '%c:\\\\dir%');
});
