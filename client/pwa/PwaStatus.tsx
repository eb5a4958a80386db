/** The offline notice and the "new version" prompt of the installable app (state in ./register.ts). */
import { render } from 'preact';
import { applyUpdate, offline, updateReady } from './register.js';

// i18n: lead moves to catalog
const OFFLINE_TEXT = 'You are offline. Parley shows what it has and reconnects when the network is back.';
// i18n: lead moves to catalog
const UPDATE_TEXT = 'A new version of Parley is available.';
// i18n: lead moves to catalog
const RELOAD_TEXT = 'Reload';

export function PwaStatus() {
  return (
    // Always in the page: a live region announces what is put into it, not a region that appears with its text.
    <div class="pwa-status" role="status">
      {offline.value && (
        <p class="pwa-offline" data-testid="pwa-offline">
          {OFFLINE_TEXT}
        </p>
      )}
      {updateReady.value && (
        <p class="pwa-update" data-testid="pwa-update">
          <span>{UPDATE_TEXT}</span>{' '}
          <button type="button" class="button-primary" data-testid="pwa-update-reload" onClick={() => void applyUpdate()}>
            {RELOAD_TEXT}
          </button>
        </p>
      )}
    </div>
  );
}

/** Renders the status into a new element at the end of `parent`. */
export function mountPwaStatus(parent: HTMLElement): void {
  const host = document.createElement('div');
  parent.append(host);
  render(<PwaStatus />, host);
}
