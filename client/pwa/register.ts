/**
 * The page's side of the service worker (client/sw/sw.ts): registers /sw.js after the first paint, and exposes as
 * signals whether the browser is offline and whether a new deployment waits to be loaded (`applyUpdate()` loads it).
 */
import { signal } from '@preact/signals';
import type { PageToWorker, WorkerToPage } from '../sw/policy.js';

/** The browser says it has no network (navigator.onLine and its events). */
export const offline = signal(typeof navigator !== 'undefined' && !navigator.onLine);
/** A new version of Parley is installed and waits for a reload. */
export const updateReady = signal(false);

/** How often an open tab asks whether a new version was deployed (the browser checks on navigations too). */
const UPDATE_CHECK_MS = 60 * 60_000;

const workers: ServiceWorkerContainer | undefined = typeof navigator !== 'undefined' ? navigator.serviceWorker : undefined;

window.addEventListener('online', () => {
  offline.value = false;
  void workers?.getRegistration().then((r) => r?.update().catch(() => undefined));
});
window.addEventListener('offline', () => (offline.value = true));

// Listening from the start: messages sent before the listener exists would be dispatched to nobody.
workers?.addEventListener('message', (event: MessageEvent<WorkerToPage>) => {
  // The shell on screen came from the cache, and the network says its session is over / it is another account's.
  if (event.data?.type === 'signed-out') location.assign('/login');
  else if (event.data?.type === 'shell-changed') location.reload();
});

const tell = (worker: ServiceWorker | null | undefined, message: PageToWorker) => worker?.postMessage(message);

/** Tells the controlling worker whose page this is, so that it drops a cached shell of another account. */
function reportAccount(): void {
  const account = document.body.dataset.account;
  if (account) tell(workers?.controller, { type: 'account', account });
}

/** Registers the worker once the page has painted (its install downloads the shell files: not before the paint). */
export function registerServiceWorker(): void {
  if (!workers) return; // not a secure context, or a browser without service workers: the app works without
  requestAnimationFrame(() => setTimeout(() => void register(workers), 0));
}

async function register(container: ServiceWorkerContainer): Promise<void> {
  // updateViaCache 'none': update checks never read sw.js (or what it imports) from the HTTP cache.
  const registration = await container.register('/sw.js', { scope: '/', updateViaCache: 'none' }).catch(() => null);
  if (!registration) return;
  reportAccount();
  container.addEventListener('controllerchange', reportAccount);
  // A worker already waiting (installed while this page was closed or loading), or one that installs later.
  if (registration.waiting && container.controller) updateReady.value = true;
  registration.addEventListener('updatefound', () => {
    const installing = registration.installing;
    installing?.addEventListener('statechange', () => {
      // Without a controller this is the first install, not an update.
      if (installing.state === 'installed' && container.controller) updateReady.value = true;
    });
  });
  setInterval(() => void registration.update().catch(() => undefined), UPDATE_CHECK_MS);
}

/** Activates the waiting worker and reloads once it controls the page (so that page and worker are one build). */
export async function applyUpdate(): Promise<void> {
  const waiting = (await workers?.getRegistration())?.waiting;
  if (!workers || !waiting) return location.reload();
  workers.addEventListener('controllerchange', () => location.reload(), { once: true });
  tell(waiting, { type: 'skip-waiting' });
}
