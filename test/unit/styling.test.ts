import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findLinks, MAX_QUOTE_DEPTH, parseSpans, parseStyling, safeHref, type Block, type Span } from '../../client/ui/chat/styling-parse.js';
import { isEmojiOnly } from '../../client/ui/chat/emoji-only.js';

/** A compact picture of the tree (test notation only, never shown): *x* strong, _x_ emphasis, ~x~ strike, `x` code. */
function spans(s: readonly Span[]): string {
  return s
    .map((x) => {
      switch (x.kind) {
        case 'text':
          return x.text;
        case 'directive':
          return '';
        case 'link':
          return `[${x.text}](${x.href})`;
        case 'code':
          return `<code>${x.text}</code>`;
        case 'strong':
          return `<b>${spans(x.children)}</b>`;
        case 'emphasis':
          return `<i>${spans(x.children)}</i>`;
        case 'strike':
          return `<s>${spans(x.children)}</s>`;
      }
    })
    .join('');
}
function blocks(b: readonly Block[]): string[] {
  return b.map((x) => (x.kind === 'line' ? spans(x.spans) : x.kind === 'pre' ? `<pre>${x.text}</pre>` : `<q>${blocks(x.blocks).join('|')}</q>`));
}
const line = (text: string) => spans(parseSpans(text));

test('XEP-0393 span examples', () => {
  assert.equal(line('I *really* need coffee.'), 'I <b>really</b> need coffee.');
  assert.equal(line('The full title is _Twelfth Night, or What You Will_ but *most* people shorten it.'), 'The full title is <i>Twelfth Night, or What You Will</i> but <b>most</b> people shorten it.');
  assert.equal(line('Everyone ~only~ knows *about* `code`'), 'Everyone <s>only</s> knows <b>about</b> <code>code</code>');
  // "after a different opening styling directive": *` and *_ nest.
  assert.equal(line('*`bold monospace`*'), '<b><code>bold monospace</code></b>');
  assert.equal(line('*_bold italic_*'), '<b><i>bold italic</i></b>');
  // No styling inside a preformatted span.
  assert.equal(line('`*not bold* _not emph_`'), '<code>*not bold* _not emph_</code>');
});

test('XEP-0393 span rules: whitespace, empty spans, word-inner markers, unmatched markers', () => {
  assert.equal(line('* not bold *'), '* not bold *');
  assert.equal(line('*not bold *'), '*not bold *');
  assert.equal(line('**'), '**');
  assert.equal(line('snake_case_name'), 'snake_case_name');
  assert.equal(line('a*b*c'), 'a*b*c');
  assert.equal(line('*unmatched'), '*unmatched');
  assert.equal(line('_a *b_ c*'), '<i>a *b</i> c*');
  assert.equal(line('*a* *b*'), '<b>a</b> <b>b</b>');
  assert.deepEqual(parseSpans('*x*').map((s) => s.kind), ['directive', 'strong', 'directive'], 'directives are kept to be shown');
});

test('spans do not cross lines', () => {
  assert.deepEqual(blocks(parseStyling('*multi\nline*')), ['*multi', 'line*']);
});

test('XEP-0393 block examples: preformatted blocks and quotes', () => {
  assert.deepEqual(blocks(parseStyling('```ignored\n*raw* text\n  kept\n```\nafter *bold*')), ['<pre>*raw* text\n  kept</pre>', 'after <b>bold</b>']);
  // An unclosed block runs to the end of the message.
  assert.deepEqual(blocks(parseStyling('x\n```\nint a;')), ['x', '<pre>int a;</pre>']);
  assert.deepEqual(blocks(parseStyling('> That that is, is.\n>> Said the old hermit of Prague.\n> *Who?*\nOutside')), [
    '<q>That that is, is.|<q>Said the old hermit of Prague.</q>|<b>Who?</b></q>',
    'Outside',
  ]);
  // A preformatted block inside a quote ends with the quote.
  assert.deepEqual(blocks(parseStyling('> ```\n> code *x*\nplain')), ['<q><pre>code *x*</pre></q>', 'plain']);
});

test('links: http(s) and xmpp only, trailing punctuation left out, directives inside a link are text', () => {
  assert.equal(line('see https://example.org/a_b_c.'), 'see [https://example.org/a_b_c](https://example.org/a_b_c).');
  assert.equal(line('(at https://example.org/x)'), '(at [https://example.org/x](https://example.org/x))');
  assert.equal(line('*https://example.org*'), '<b>[https://example.org](https://example.org/)</b>');
  assert.equal(line('xmpp:alice@example.org?message'), '[xmpp:alice@example.org?message](xmpp:alice@example.org?message)');
  assert.equal(line('javascript:alert(1) data:text/html,<b>x</b> ftp://x.org'), 'javascript:alert(1) data:text/html,<b>x</b> ftp://x.org');
  assert.equal(safeHref('javascript:alert(1)'), null);
  assert.equal(safeHref('data:text/html,x'), null);
  assert.equal(safeHref('https://'), null);
  assert.deepEqual(findLinks('HTTPS://EXAMPLE.ORG/P').map((l) => l.href), ['https://example.org/P']);
});

test('emoji-only: 1 to 3 emoji, graphemes counted, nothing else', () => {
  for (const yes of ['👍', ' 👍 ', '👍🏽', '🇩🇪', '👨‍👩‍👧‍👦', '❤️😂👍', '1️⃣', '😀 😀']) assert.equal(isEmojiOnly(yes), true, yes);
  for (const no of ['', 'ok 👍', '👍👍👍👍', '1', '#', 'abc', '™', '*', '👍.']) assert.equal(isEmojiOnly(no), false, no);
  assert.equal(isEmojiOnly('👍'.repeat(100_000)), false);
});

test('pathological input stays linear: 1 MB body with 10,000 markers, nested and unmatched', () => {
  const filler = 'x'.repeat(100);
  const cases: Record<string, string> = {
    unmatchedOpeners: `${('*' + filler + ' ').repeat(10_000)}`.padEnd(1_000_000, 'y'),
    markersOnly: '*_~`'.repeat(250_000),
    nestedOpenersOneLine: ('*_~ ').repeat(2_500).padEnd(1_000_000, 'z'),
    quoteMarkers: '>'.repeat(10_000) + ' deep\n' + 'q'.repeat(990_000),
    quoteLines: Array.from({ length: 10_000 }, (_, i) => '>'.repeat(1 + (i % 20)) + ' *a* ' + filler).join('\n'),
    fences: '```\n'.repeat(10_000).padEnd(1_000_000, '`'),
    links: ('https://a.example/' + '_'.repeat(80) + ' ').repeat(10_000),
  };
  for (const [name, body] of Object.entries(cases)) {
    const t0 = performance.now();
    const tree = parseStyling(body);
    const ms = performance.now() - t0;
    assert.ok(tree.length > 0, name);
    assert.ok(ms < 2_000, `${name}: ${ms.toFixed(0)} ms for ${body.length} chars`);
    console.log(`styling ${name}: ${body.length} chars in ${ms.toFixed(1)} ms`);
  }
  // Quote nesting is bounded: deeper markers are text.
  let depth = 0;
  let b: Block[] = parseStyling('>'.repeat(10_000) + ' deep');
  while (b[0]?.kind === 'quote') {
    depth++;
    b = b[0].blocks;
  }
  assert.equal(depth, MAX_QUOTE_DEPTH);
});

test('quadratic trap: many openers each far from any closer', () => {
  // Naive parsers scan to the end of the line for every opener: 10,000 openers x 1 MB.
  const body = ' *a'.repeat(10_000) + 'b'.repeat(970_000);
  const t0 = performance.now();
  const s = parseSpans(body);
  assert.ok(performance.now() - t0 < 1_000);
  assert.equal(s.length, 1);
});

test('reply fallback: stripped by code points, quote recovered, ours built with its length', async () => {
  const { stripFallback, fallbackQuote, buildFallback, isReplyTarget } = await import('../../client/ui/chat/reply-text.js');
  const body = '> I 💜 cake\n> really\nMe too';
  const end = Array.from('> I 💜 cake\n> really\n').length;
  const reply = { id: 'm1', to: null, fallback: { start: 0, end } };
  assert.equal(stripFallback(body, reply), 'Me too');
  assert.equal(fallbackQuote(body, reply), 'I 💜 cake\nreally');
  // A range past the body (hostile or from another body) strips nothing.
  assert.equal(stripFallback('short', { id: 'm', to: null, fallback: { start: 0, end: 99 } }), 'short');
  assert.equal(stripFallback(body, { id: 'm', to: null }), body);
  // A range over text that is not a quote hides nothing (a sender could hide what other clients show).
  assert.equal(stripFallback('secret text\nvisible', { id: 'm', to: null, fallback: { start: 0, end: 12 } }), 'secret text\nvisible');
  assert.equal(fallbackQuote('secret text\nvisible', { id: 'm', to: null, fallback: { start: 0, end: 12 } }), null);
  const ours = buildFallback('I 💜 cake\nreally');
  assert.equal(ours.text, '> I 💜 cake\n> really\n');
  assert.equal(ours.length, end);
  assert.equal(buildFallback('x'.repeat(500)).length, 200 + 1 + 3);
  assert.equal(isReplyTarget({ messageId: 'a', originId: 'b' }, 'b'), true);
  assert.equal(isReplyTarget({ originId: null }, 'b'), false);
});
