/** The "edited" mark of a corrected message, and its earlier versions on request (decrypted here when encrypted). */
import { useEffect, useState } from 'preact/hooks';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { fullTime } from '../format.js';
import { omemo } from '../../app/omemo-loader.js';
import { versionAsMessage } from './versions.js';
import { t } from '../../i18n/index.js';

interface ShownVersion {
  version: number;
  stamp: string;
  /** null: this tab cannot read it. */
  text: string | null;
}

export function EditedMark({ message }: { message: MessageDTO }) {
  const [open, setOpen] = useState(false);
  if (!message.editedAt || message.retractedAt) return null;
  return (
    <>
      <button
        type="button"
        class="link-button message-edited"
        data-testid="message-edited"
        aria-expanded={open ? 'true' : 'false'}
        title={t('mutations.editedTitle', { time: fullTime(message.editedAt) })}
        onClick={() => setOpen(!open)}
      >
        {t('mutations.edited')}
      </button>
      {open ? <Versions message={message} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function Versions({ message, onClose }: { message: MessageDTO; onClose: () => void }) {
  const { run } = useServices();
  const [versions, setVersions] = useState<ShownVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void (async () => {
      const { versions } = await run('versions', { peer: message.peer, id: message.id });
      const service = versions.some((v) => v.encrypted !== null) ? await omemo() : null;
      const shown = await Promise.all(versions.map(async (v): Promise<ShownVersion> => {
        if (v.encrypted === null) return { version: v.version, stamp: v.stamp, text: v.body };
        const r = service ? await service.decryptMessage(versionAsMessage(message, v)) : null;
        return { version: v.version, stamp: v.stamp, text: r && (r.status === 'ok' || r.status === 'plain') ? r.text : null };
      }));
      if (live) setVersions(shown);
    })().catch((err: Error) => live && setError(t('mutations.failed', { error: err.message })));
    return () => {
      live = false;
    };
  }, [message.id, message.version]);
  return (
    <div class="message-versions" data-testid="message-versions" role="group" aria-label={t('mutations.versionsTitle')}>
      <p class="message-versions-title">{t('mutations.versionsTitle')}</p>
      {error ? <p class="form-error" role="alert">{error}</p> : null}
      {versions === null && !error ? <p>{t('mutations.versionsLoading')}</p> : null}
      {versions?.length === 0 ? <p>{t('mutations.versionsEmpty')}</p> : null}
      {versions?.length ? (
        <ol>
          {versions.map((v) => (
            <li key={v.version} data-testid="message-version">
              <span class="message-version-label">{t('mutations.versionLabel', { n: v.version + 1, time: fullTime(v.stamp) })}</span>
              <span class={`message-version-text${v.text === null ? ' message-encrypted' : ''}`} dir="auto">{v.text ?? t('mutations.versionUnreadable')}</span>
            </li>
          ))}
        </ol>
      ) : null}
      <button type="button" class="link-button" onClick={onClose}>{t('mutations.close')}</button>
    </div>
  );
}
