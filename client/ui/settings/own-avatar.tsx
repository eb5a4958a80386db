/**
 * Our own avatar: a picture file is cropped to a centred square and scaled to 192x192 on a canvas, encoded as PNG
 * and sent with `setAvatar`; the server re-encodes it and publishes it (XEP-0084 and vcard-temp). `removeAvatar` undoes it.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { useServices } from '../context.js';
import { Avatar } from '../avatar.js';

const SIZE = 192;
/** As the contract's AVATAR_UPLOAD_MAX_CHARS (base64 characters). */
const MAX_CHARS = 256 * 1024;

/** The picture as a 192x192 PNG, centre-cropped. Throws when the browser cannot decode it. */
export async function squarePng(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  try {
    const side = Math.min(bitmap.width, bitmap.height);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = SIZE;
    const g = canvas.getContext('2d');
    if (!g || side === 0) throw new Error('no canvas');
    g.imageSmoothingQuality = 'high';
    g.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, SIZE, SIZE);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no PNG'))), 'image/png'));
  } finally {
    bitmap.close();
  }
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function OwnAvatar() {
  const { state, run } = useServices();
  state.own.revision.value;
  state.avatars.revision.value;
  const account = state.own.account;
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const chosen = async (e: Event): Promise<void> => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setBusy(true);
    setNote(t('avatar.saving'));
    try {
      let png: Blob;
      try {
        png = await squarePng(file);
      } catch {
        setNote(t('avatar.unreadable'));
        return;
      }
      const data = base64(new Uint8Array(await png.arrayBuffer()));
      if (data.length > MAX_CHARS) {
        setNote(t('avatar.unreadable'));
        return;
      }
      await run('setAvatar', { data, type: 'image/png' });
      setNote(t('avatar.saved'));
    } catch (err) {
      setNote(t('avatar.failed', { reason: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (): Promise<void> => {
    setBusy(true);
    setNote(t('avatar.saving'));
    try {
      await run('removeAvatar', {});
      setNote(t('avatar.removed'));
    } catch (err) {
      setNote(t('avatar.failed', { reason: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="settings-avatar" data-testid="settings-avatar" aria-labelledby="settings-avatar-title">
      <h2 id="settings-avatar-title">{t('avatar.heading')}</h2>
      <div class="settings-avatar-row">
        <Avatar jid={account} name={account} show={null} size="large" />
        <label class="button-quiet avatar-choose">
          {t('avatar.choose')}
          <input type="file" accept="image/png,image/jpeg,image/webp,image/gif" data-testid="avatar-file" class="visually-hidden" disabled={busy} onChange={(e) => void chosen(e)} />
        </label>
        {state.avatars.hash(account) !== null && (
          <button type="button" class="button-quiet" data-testid="avatar-remove" disabled={busy} onClick={() => void remove()}>
            {t('avatar.remove')}
          </button>
        )}
      </div>
      <p class="field-hint" role="status" data-testid="avatar-note">{note ?? t('avatar.hint')}</p>
    </section>
  );
}
