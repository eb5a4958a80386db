/** The account page's short names for browsers: enough to tell them apart, bounded, never markup. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shortUserAgent } from '../../server/http/account-routes.js';

test('common browsers and systems get a short name', () => {
  assert.equal(shortUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'), 'Firefox 128 · Linux');
  assert.equal(shortUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'), 'Chrome 131 · Windows');
  assert.equal(shortUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'), 'Edge 131 · Windows');
  assert.equal(shortUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'), 'Safari 17 · iOS');
  assert.equal(shortUserAgent('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'), 'Chrome 131 · Android');
  assert.equal(shortUserAgent('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'), 'Safari 17 · macOS');
});

test('unknown agents are cut short and stripped of control characters; none is null', () => {
  assert.equal(shortUserAgent(null), null);
  assert.equal(shortUserAgent(''), null);
  assert.equal(shortUserAgent('node'), 'node');
  const odd = shortUserAgent(`curl\u0000/${'x'.repeat(200)}`)!;
  assert.equal(odd.length, 60);
  assert.ok(odd.startsWith('curl /'));
});
