/** The conversation's running uploads: a progress bar each (bytes sent of the total) and a cancel button. */
import { uploads, cancelUpload, type Upload } from '../../files/uploads.js';
import { formatBytes } from '../../i18n/format.js';
import { t } from '../../i18n/index.js';

export function UploadProgress({ peer }: { peer: string }) {
  const mine = uploads.value.filter((u) => u.peer === peer);
  if (!mine.length) return null;
  return (
    <ul class="upload-list" data-testid="upload-list" aria-label={t('files.uploads')}>
      {mine.map((u) => <UploadRow key={u.id} upload={u} />)}
    </ul>
  );
}

function UploadRow({ upload }: { upload: Upload }) {
  const label =
    upload.phase === 'queued' ? t('files.queued')
    : upload.phase === 'encrypting' ? t('files.encrypting')
    : upload.phase === 'sending' ? t('files.sendingLink')
    : t('files.progress', { sent: formatBytes(upload.sent), total: formatBytes(upload.total) });
  return (
    <li class="upload-row" data-testid="upload" data-phase={upload.phase} data-sent={String(upload.sent)} data-total={String(upload.total)}>
      <span class="upload-name" dir="auto" title={upload.name}>{upload.name}</span>
      <progress class="upload-bar" data-testid="upload-bar" max={upload.total || 1} value={upload.sent} aria-label={t('files.progressOf', { name: upload.name })} />
      <span class="upload-status">{label}</span>
      <button type="button" class="button-quiet upload-cancel" data-testid="upload-cancel" disabled={upload.phase === 'sending'} onClick={() => cancelUpload(upload.id)}>
        {t('files.cancel')}
      </button>
    </li>
  );
}
