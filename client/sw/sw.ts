/**
 * Parley's service worker (served at /sw.js, scope /): the app shell paints from the cache before the network
 * answers, and a new deployment waits until the page says "reload" (client/pwa/register.ts).
 *
 * The shell page is per account and carries the session's CSRF token, so it is kept only while the account is the
 * same: it is dropped on every login/logout/registration navigation, when a navigation to / is redirected (no session),
 * and when a page reports another account. Only GET / and this build's static files are ever cached.
 */
/// <reference lib="webworker" />
import { isRedirect, isStorableShell, readShell, routeOf, type PageToWorker, type WorkerToPage } from './policy.js';

/** Put in by scripts/build-client.mjs: the build's id (a hash of what it precaches) and its shell assets. */
declare const __PARLEY_SW__: { version: string; precache: string[] };

declare const self: ServiceWorkerGlobalScope;

const { version, precache } = __PARLEY_SW__;
const PRECACHE = new Set(precache);
const ASSETS = `parley-assets-${version}`;
// Per build: a shell page of another build may name other ids and chunks than this build's app.js expects.
const SHELL = `parley-shell-${version}`;
const SHELL_KEY = '/';
// Header values are bytes: the account (any Unicode) is stored URI-encoded.
const ACCOUNT_HEADER = 'x-parley-shell-account';
const accountOf = (cached: Response) => decodeURIComponent(cached.headers.get(ACCOUNT_HEADER) ?? '');
/**
 * Counts forgetShell() calls: a shell fetched before a login or logout must not be stored after it (a slow answer for
 * the account that left would otherwise land in the cache of the one that came).
 */
let shellEpoch = 0;

self.addEventListener('install', (event) => {
  // cache: 'reload' skips the HTTP cache (production serves /assets with max-age), so the files are this build's.
  const files = caches.open(ASSETS).then((cache) => cache.addAll(precache.map((url) => new Request(url, { cache: 'reload' }))));
  // The page that registered us was loaded before we existed: its shell is fetched once more, so that the next
  // start paints from the cache even when it is offline. Best effort: no shell (logged out, offline) is no failure.
  const epoch = shellEpoch;
  const shellNow = fetch('/', { cache: 'no-store', redirect: 'manual' }).then((r) => keepShell(r, epoch), () => undefined);
  event.waitUntil(Promise.all([files, shellNow]));
  // No skipWaiting(): a worker that replaces another waits for the page's "reload" (skip-waiting message).
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const keep = new Set([ASSETS, SHELL]);
      for (const name of await caches.keys()) if (name.startsWith('parley-') && !keep.has(name)) await caches.delete(name);
      // The first install takes the open pages at once (they were loaded from the network, nothing to mix up).
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  const message = event.data as PageToWorker;
  if (message?.type === 'skip-waiting') void self.skipWaiting();
  else if (message?.type === 'account') event.waitUntil(forgetShellUnlessOf(message.account));
  else if (message?.type === 'version') event.ports[0]?.postMessage({ type: 'version', version } satisfies WorkerToPage);
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const route = routeOf({ method: request.method, url: new URL(request.url), mode: request.mode }, self.location.origin, PRECACHE);
  if (route === 'shell') event.respondWith(shell(event));
  else if (route === 'forget-shell') event.respondWith(forgetShell().then(() => fetch(request)));
  else if (route === 'asset' || route === 'chunk') event.respondWith(cacheFirst(request));
});

/** The cached shell at once (revalidated in the background), or the network's answer when there is none. */
async function shell(event: FetchEvent): Promise<Response> {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(SHELL_KEY);
  const fresh = revalidate(event.request, cached ? accountOf(cached) : null);
  if (!cached) return fresh;
  event.waitUntil(fresh.catch(() => undefined));
  return cached;
}

/**
 * Fetches GET / and keeps the answer if it is a shell of this build. `shownAccount`: the account of the cached shell
 * already on screen (null: none), which learns here that its session ended or that it is another account's.
 */
async function revalidate(request: Request, shownAccount: string | null): Promise<Response> {
  const epoch = shellEpoch;
  const response = await fetch(request);
  if (isRedirect(response.status, response.type)) {
    await forgetShell();
    if (shownAccount !== null) await tellPages({ type: 'signed-out' });
    return response;
  }
  const account = await keepShell(response.clone(), epoch);
  if (account !== null && shownAccount !== null && shownAccount !== account) await tellPages({ type: 'shell-changed' });
  return response;
}

/**
 * Stores `response` as the shell if it is a whole app page of this build, fetched since the last forgetShell()
 * (`epoch`: shellEpoch when its request left); answers its account (null: not kept).
 */
async function keepShell(response: Response, epoch: number): Promise<string | null> {
  const html = await response.text();
  const facts = readShell(html);
  if (!isStorableShell(response.status, response.type, facts, version) || epoch !== shellEpoch) return null;
  const headers = new Headers(response.headers);
  headers.set(ACCOUNT_HEADER, encodeURIComponent(facts.account!));
  headers.delete('content-length'); // the body is re-encoded text
  const cache = await caches.open(SHELL);
  if (epoch !== shellEpoch) return null;
  await cache.put(SHELL_KEY, new Response(html, { status: 200, headers }));
  return facts.account;
}

async function forgetShell(): Promise<void> {
  shellEpoch++;
  await (await caches.open(SHELL)).delete(SHELL_KEY);
}

async function forgetShellUnlessOf(account: string): Promise<void> {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(SHELL_KEY);
  if (cached && accountOf(cached) !== account) await cache.delete(SHELL_KEY);
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(ASSETS);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
  return response;
}

async function tellPages(message: WorkerToPage): Promise<void> {
  for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage(message);
}
