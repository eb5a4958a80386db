import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import { buildReactions, isReactionEmoji, MAX_REACTIONS, parseReactions } from '../../server/stanza/reactions.js';
import { buildReply, codePoints, parseReply, quoteFallback } from '../../server/stanza/reply.js';
import { buildChatMessage, parseChatMessage } from '../../server/stanza/message.js';
import { summarize } from '../../server/features/reactions.js';

const me = 'alice@example.org';

test('XEP-0444 example: a reaction set is parsed in order, distinct', () => {
  const el = parse(`<message to='romeo@montague.lit' id='96d73204' type='chat' xmlns='jabber:client'>
    <reactions id='744f6e18-a57a-11e9-a656-4889e7820c76' xmlns='urn:xmpp:reactions:0'>
      <reaction>👋</reaction>
      <reaction>🐢</reaction>
      <reaction>👋</reaction>
    </reactions>
    <store xmlns='urn:xmpp:hints'/>
  </message>`);
  assert.deepEqual(parseReactions(el), { id: '744f6e18-a57a-11e9-a656-4889e7820c76', emojis: ['👋', '🐢'] });
});

test('an empty reactions element takes every reaction back', () => {
  assert.deepEqual(parseReactions(parse(`<message><reactions xmlns='urn:xmpp:reactions:0' id='x'/></message>`)), { id: 'x', emojis: [] });
});

test('hostile reactions: no id, huge id, text, HTML, many, too many children', () => {
  assert.equal(parseReactions(parse(`<message><body>hi</body></message>`)), null);
  assert.equal(parseReactions(parse(`<message><reactions xmlns='urn:xmpp:reactions:0'><reaction>👍</reaction></reactions></message>`)), null);
  assert.equal(parseReactions(parse(`<message><reactions xmlns='urn:xmpp:reactions:0' id='${'a'.repeat(300)}'><reaction>👍</reaction></reactions></message>`)), null);
  // Wrong namespace: not a reaction at all.
  assert.equal(parseReactions(parse(`<message><reactions xmlns='urn:xmpp:reactions:1' id='x'><reaction>👍</reaction></reactions></message>`)), null);
  const junk = parse(`<message><reactions xmlns='urn:xmpp:reactions:0' id='x'>
    <reaction>hello</reaction><reaction>&lt;img src=x onerror=alert(1)&gt;</reaction><reaction>👍👍</reaction><reaction>a</reaction>
    <reaction>™</reaction><reaction></reaction><reaction>${'😀'.repeat(40)}</reaction><reaction> 🎉 </reaction></reactions></message>`);
  assert.deepEqual(parseReactions(junk), { id: 'x', emojis: ['🎉'] });
  const all = ['😀', '😃', '😄', '😁', '😆', '😅', '🤣', '😂', '🙂', '🙃', '😉', '😊', '😇', '🥰', '😍', '🤩', '😘', '😗', '😚', '😙', '😋', '😛', '😜'];
  const many = parse(`<message><reactions xmlns='urn:xmpp:reactions:0' id='x'>${all.map((e) => `<reaction>${e}</reaction>`).join('')}</reactions></message>`);
  assert.equal(parseReactions(many)!.emojis.length, MAX_REACTIONS);
  const flood = parse(`<message><reactions xmlns='urn:xmpp:reactions:0' id='x'>${'<reaction>👍</reaction>'.repeat(10_000)}</reactions></message>`);
  assert.equal(parseReactions(flood), null);
});

test('one emoji per reaction, graphemes counted', () => {
  for (const yes of ['👍', '👍🏽', '🇫🇷', '👨‍👩‍👧‍👦', '❤️', '1️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿']) assert.equal(isReactionEmoji(yes), true, yes);
  for (const no of ['', 'a', '👍👍', '™', ':)', '1', ' ', '\u200d']) assert.equal(isReactionEmoji(no), false, no);
});

test('our reactions stanza: the whole set, the target id, a store hint, no body', () => {
  const el = buildReactions('bob@example.org', 'r1', 'm1', ['👍', '🎉']);
  assert.equal(
    el.toString(),
    `<message to="bob@example.org" type="chat" id="r1"><reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>👍</reaction><reaction>🎉</reaction></reactions><store xmlns="urn:xmpp:hints"/></message>`,
  );
  assert.equal(parseChatMessage(el, me), null, 'not a message of its own');
  assert.deepEqual(parseReactions(el), { id: 'm1', emojis: ['👍', '🎉'] });
});

test('reactions grouped per emoji for the tabs', () => {
  assert.deepEqual(summarize('bob@x', '7', [{ reactor: 'bob@x', emojis: ['👍', '🎉'] }, { reactor: 'me@x', emojis: ['🎉'] }]), {
    peer: 'bob@x', id: '7', reactions: [{ emoji: '👍', from: ['bob@x'] }, { emoji: '🎉', from: ['bob@x', 'me@x'] }],
  });
});

test('XEP-0461 example: a reply with its XEP-0428 fallback', () => {
  const el = parse(`<message to='anna@example.com' id='message-id2' type='chat' from='bob@example.com/phone' xmlns='jabber:client'>
    <body>> Anna wrote:\n> We should bake a cake\nGreat idea!</body>
    <reply to='anna@example.com/laptop' id='message-id1' xmlns='urn:xmpp:reply:0' />
    <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start="0" end="36" /></fallback>
  </message>`);
  assert.deepEqual(parseReply(el), { id: 'message-id1', to: 'anna@example.com/laptop', fallback: { start: 0, end: 36 } });
  assert.deepEqual(parseChatMessage(el, 'anna@example.com')?.reply, parseReply(el));
});

test('hostile replies: no id, a fallback for another feature, nonsense ranges', () => {
  assert.equal(parseReply(parse(`<message><reply xmlns='urn:xmpp:reply:0' to='a@b'/></message>`)), null);
  const other = parse(`<message><reply xmlns='urn:xmpp:reply:0' id='m'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reactions:0'><body start='0' end='5'/></fallback></message>`);
  assert.deepEqual(parseReply(other), { id: 'm', to: null, fallback: null });
  for (const [s, e] of [['5', '2'], ['-1', '3'], ['0', '99999999'], ['x', '3'], ['3', '3']]) {
    const el = parse(`<message><reply xmlns='urn:xmpp:reply:0' id='m' to='not a jid@@'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='${s}' end='${e}'/></fallback></message>`);
    assert.deepEqual(parseReply(el), { id: 'm', to: null, fallback: null }, `${s}-${e}`);
  }
});

test('our reply: quote fallback counted in code points, elements outside the body', () => {
  const quote = quoteFallback('I 💜 cake\nreally');
  assert.equal(quote, '> I 💜 cake\n> really\n');
  assert.equal(codePoints(quote), quote.length - 1, 'the emoji is one code point, two UTF-16 units');
  const el = buildChatMessage({ to: 'bob@example.org', id: 'o2', originId: 'o2', body: `${quote}Yes!`, extra: buildReply({ id: 'm1', to: 'bob@example.org/phone' }, codePoints(quote)) });
  assert.deepEqual(parseReply(el), { id: 'm1', to: 'bob@example.org/phone', fallback: { start: 0, end: codePoints(quote) } });
  assert.equal(buildReply({ id: 'm1', to: 'b@x' }, 0).length, 1, 'no fallback element without a quote');
});
