/** Mutes or unmutes a conversation for the account (stored on the server: every tab and browser agrees). */
import { useState } from 'preact/hooks';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';

export function MuteButton({ peer }: { peer: string }) {
  const { mutes, run } = useServices();
  mutes.revision.value;
  const [busy, setBusy] = useState(false);
  const muted = mutes.has(peer);
  const toggle = (): void => {
    setBusy(true);
    // The `mutes` event that follows updates every tab, this one included.
    void run('setMuted', { peer, muted: !muted }).catch(() => undefined).finally(() => setBusy(false));
  };
  return (
    <button type="button" class="button-quiet header-action" data-testid="mute-toggle" aria-pressed={muted} disabled={busy}
      title={muted ? t('mute.unmuteTitle') : t('mute.muteTitle')} onClick={toggle}>
      {muted ? t('mute.unmute') : t('mute.mute')}
    </button>
  );
}
