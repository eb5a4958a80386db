/**
 * What the service worker does with a request, and what it reads from a shell page: pure functions without the
 * worker's globals, so the rules are unit-tested in Node (test/unit/sw-policy.test.ts).
 */

/**
 * - `shell`: the app page (GET /): answered from the cache at once, revalidated from the network.
 * - `forget-shell`: a navigation that logs in or out (or lands on the login page): the cached shell belongs to the
 *   account that is leaving, so it is dropped before the request goes on to the network.
 * - `asset`: a file of this build's precache list: cache first.
 * - `chunk`: a lazy, content-hashed chunk (the OMEMO layer, the security panel): cached on first use, cache first.
 * - `pass`: everything else goes to the network untouched, never cached: socket.io, /upload, /admin, APIs, media,
 *   POST bodies, source maps, other origins.
 */
export type Route = 'shell' | 'forget-shell' | 'asset' | 'chunk' | 'pass';

export interface RequestFacts {
  method: string;
  url: URL;
  /** Request.mode: 'navigate' for a page load or a form submission. */
  mode: string;
}

const ACCOUNT_PAGES = new Set(['/login', '/logout', '/register']);

export function routeOf(req: RequestFacts, origin: string, precache: ReadonlySet<string>): Route {
  const { url } = req;
  if (url.origin !== origin) return 'pass';
  if (req.mode === 'navigate' && ACCOUNT_PAGES.has(url.pathname)) return 'forget-shell';
  if (req.method !== 'GET') return 'pass';
  if (req.mode === 'navigate') return url.pathname === '/' && url.search === '' ? 'shell' : 'pass';
  if (url.search !== '') return 'pass';
  if (precache.has(url.pathname)) return 'asset';
  if (url.pathname.startsWith('/assets/build/chunks/') && url.pathname.endsWith('.js')) return 'chunk';
  return 'pass';
}

export interface ShellFacts {
  /** The build the page was rendered for (<meta name="parley-build">), or null. */
  build: string | null;
  /** The account of the page (<body data-account>), or null: not an app shell. */
  account: string | null;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&#34;': '"', '&#39;': "'", '&quot;': '"' };
const unescapeHtml = (s: string) => s.replace(/&(?:amp|lt|gt|quot|#34|#39);/g, (e) => ENTITIES[e] ?? e);

/**
 * Reads the build id and the account from a shell page rendered by views/app.ejs (EJS escapes attribute values,
 * so a quote cannot end them early).
 */
export function readShell(html: string): ShellFacts {
  const build = /<meta name="parley-build" content="([^"]*)">/.exec(html)?.[1];
  const account = /<body\b[^>]*\sdata-account="([^"]*)"/.exec(html)?.[1];
  return { build: build ? unescapeHtml(build) : null, account: account ? unescapeHtml(account) : null };
}

/** May this network answer to GET / be kept as the shell of this build? Only a whole app page of the same build. */
export function isStorableShell(status: number, type: string, facts: ShellFacts, version: string): boolean {
  return status === 200 && type === 'basic' && facts.account !== null && facts.build === version;
}

/** Did the server send this navigation elsewhere (its answer to a browser without a session: 303 to /login)? */
export function isRedirect(status: number, type: string): boolean {
  return type === 'opaqueredirect' || (status >= 300 && status < 400);
}

/** Messages between the page (client/pwa/register.ts) and the worker. */
export type PageToWorker = { type: 'account'; account: string } | { type: 'skip-waiting' } | { type: 'version' };
export type WorkerToPage = { type: 'signed-out' } | { type: 'shell-changed' } | { type: 'version'; version: string };
