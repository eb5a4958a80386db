/** The service worker's rules (client/sw/policy.ts): what it caches, what it never touches, what a shell page says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRedirect, isStorableShell, readShell, routeOf } from '../../client/sw/policy.js';

const origin = 'https://chat.example.org';
const precache = new Set(['/assets/build/app.js', '/assets/app.css']);
const route = (method: string, pathAndQuery: string, mode = 'no-cors', at = origin) => routeOf({ method, url: new URL(pathAndQuery, at), mode }, origin, precache);

test('GET / as a navigation is the shell; with a query or another path it is not', () => {
  assert.equal(route('GET', '/', 'navigate'), 'shell');
  assert.equal(route('GET', '/?x=1', 'navigate'), 'pass');
  assert.equal(route('GET', '/admin', 'navigate'), 'pass');
  assert.equal(route('GET', '/', 'cors'), 'pass', 'a fetch() of / is not a page load');
});

test('login, logout and registration navigations drop the shell, whatever their method', () => {
  for (const path of ['/login', '/logout', '/register']) {
    assert.equal(route('POST', path, 'navigate'), 'forget-shell', `POST ${path}`);
    assert.equal(route('GET', path, 'navigate'), 'forget-shell', `GET ${path}`);
  }
});

test('precached files and lazy chunks are served from the cache; nothing else is', () => {
  assert.equal(route('GET', '/assets/build/app.js'), 'asset');
  assert.equal(route('GET', '/assets/app.css'), 'asset');
  assert.equal(route('GET', '/assets/build/chunks/security-panel-ABC.js'), 'chunk');
  assert.equal(route('GET', '/assets/build/chunks/security-panel-ABC.js.map'), 'pass');
  assert.equal(route('GET', '/assets/build/app.js?v=2'), 'pass');
  assert.equal(route('GET', '/assets/build/app.js', 'no-cors', 'https://cdn.example.org'), 'pass', 'another origin');
});

test('socket.io, uploads, admin, media and POST bodies are never cached', () => {
  assert.equal(route('GET', '/socket.io/?EIO=4&transport=polling'), 'pass');
  assert.equal(route('POST', '/socket.io/?EIO=4&transport=polling'), 'pass');
  assert.equal(route('POST', '/upload'), 'pass');
  assert.equal(route('GET', '/admin'), 'pass');
  assert.equal(route('GET', '/media/abc.jpg'), 'pass');
  assert.equal(route('POST', '/', 'navigate'), 'pass');
  assert.equal(route('GET', '/metrics'), 'pass');
});

test('readShell reads the build id and the (EJS-escaped) account of an app page', () => {
  const html = `<!doctype html><head><meta name="parley-build" content="abc123"></head><body class="page-app" data-account="o&#39;neil&amp;co@example.org">`;
  assert.deepEqual(readShell(html), { build: 'abc123', account: "o'neil&co@example.org" });
  assert.deepEqual(readShell('<html><body class="page-login"><form>'), { build: null, account: null });
});

test('only a whole app page of the same build is kept as the shell', () => {
  const facts = { build: 'v1', account: 'a@example.org' };
  assert.equal(isStorableShell(200, 'basic', facts, 'v1'), true);
  assert.equal(isStorableShell(200, 'basic', facts, 'v2'), false, 'another build');
  assert.equal(isStorableShell(200, 'basic', { build: 'v1', account: null }, 'v1'), false, 'not an app page (login)');
  assert.equal(isStorableShell(500, 'basic', facts, 'v1'), false);
  assert.equal(isStorableShell(200, 'opaqueredirect', facts, 'v1'), false);
});

test('a redirect is recognised both as opaqueredirect and as a 3xx status', () => {
  assert.equal(isRedirect(0, 'opaqueredirect'), true);
  assert.equal(isRedirect(303, 'basic'), true);
  assert.equal(isRedirect(200, 'basic'), false);
});
