/** The offline notice and the "new version" prompt of the installable app (state in ./register.ts). */
import { applyUpdate, offline, updateReady } from './register.js';
import { t } from '../i18n/index.js';

export function PwaStatus() {
  return (
    // Always in the page: a live region announces what is put into it, not a region that appears with its text.
    <div class="pwa-status" role="status">
      {offline.value && (
        <p class="pwa-offline" data-testid="pwa-offline">
          {t('pwa.offline')}
        </p>
      )}
      {updateReady.value && (
        <p class="pwa-update" data-testid="pwa-update">
          <span>{t('pwa.update')}</span>{' '}
          <button type="button" class="button-primary" data-testid="pwa-update-reload" onClick={() => void applyUpdate()}>
            {t('pwa.reload')}
          </button>
        </p>
      )}
    </div>
  );
}
