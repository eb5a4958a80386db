/** The connection banner: visible while the tab, Parley's XMPP session or the database has a problem. */
import { useEffect, useState } from 'preact/hooks';
import { useServices } from './context.js';
import { t } from '../i18n/index.js';
import { offline } from '../pwa/register.js';

/** A page load normally connects within this time: showing "Connecting…" earlier would only flash. */
const FIRST_CONNECT_GRACE_MS = 1500;

export function Banner() {
  const { connection } = useServices().state;
  connection.revision.value;
  const [inGrace, setInGrace] = useState(true);
  useEffect(() => {
    const timer = setTimeout(() => setInGrace(false), FIRST_CONNECT_GRACE_MS);
    return () => clearTimeout(timer);
  }, []);
  const notice = connection.notice();
  // Without a network the app's offline notice (client/pwa) says it better than "reconnecting to Parley".
  const shown = (inGrace && connection.socket === 'connecting') || offline.value ? null : notice;
  return (
    <div class={`banner${shown ? ` banner-${shown.kind}` : ''}`} data-testid="connection-banner" role="status" hidden={shown === null}>
      {shown ? t(shown.key, shown.values) : ''}
    </div>
  );
}
