import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { avatarColour, hueAngle, sha1Hex } from '../../client/ui/xep0392.js';
import { initial } from '../../client/ui/format.js';

test('XEP-0392 §5.1 angles: the XEP\'s own test vectors', () => {
  const vectors: [string, number][] = [['Romeo', 327.255249], ['juliet@capulet.lit', 209.4104], ['😺', 331.199341], ['council', 359.994507], ['Board', 171.430664]];
  for (const [text, angle] of vectors) assert.ok(Math.abs(hueAngle(text) - angle) < 1e-5, `${text}: ${hueAngle(text)}`);
  assert.equal(avatarColour('Romeo'), 'hsl(327.3, 60%, 38%)');
});

test('the client SHA-1 equals node:crypto (block boundaries, UTF-8)', () => {
  for (const s of ['', 'a', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'x'.repeat(119), 'ünïcödé 😺'.repeat(20)]) {
    assert.equal(sha1Hex(s), createHash('sha1').update(s, 'utf8').digest('hex'), `length ${s.length}`);
  }
});

test('initials are whole graphemes', () => {
  assert.equal(initial('juliet'), 'J');
  assert.equal(initial('\u{1F469}\u200D\u{1F469}\u200D\u{1F467} family'), '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}');
  assert.equal(initial('e\u0301cole'), 'E\u0301');
  assert.equal(initial('\u202Eevil'), 'E');
  assert.equal(initial('  '), '?');
});
