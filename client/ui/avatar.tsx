/**
 * An avatar with a presence dot: the contact's picture when Parley stored one (same origin, /avatars/<sha1>, WebP
 * re-encoded by the server), else the first letter on the XEP-0392 colour of the bare JID.
 */
import { useContext, useState } from 'preact/hooks';
import type { Presence } from '../../server/realtime/contract.js';
import { initial, presenceLabel } from './format.js';
import { avatarColour } from './xep0392.js';
import { Services } from './context.js';

export function PresenceDot({ show }: { show: Presence }) {
  const label = presenceLabel(show);
  return <span class={`presence-dot presence-${show}`} role="img" aria-label={label} title={label} />;
}

export function Avatar({ jid, name, show, size }: { jid: string; name: string; show: Presence | null; size?: 'large' }) {
  const services = useContext(Services);
  services?.state.avatars.revision.value;
  const hash = services?.state.avatars.hash(jid) ?? null;
  const [broken, setBroken] = useState<string | null>(null);
  const picture = hash !== null && broken !== hash;
  return (
    <span
      class={`avatar${size ? ` avatar-${size}` : ''}${picture ? ' avatar-picture' : ''}`}
      data-avatar-hash={picture ? hash : undefined}
      style={picture ? undefined : { backgroundColor: avatarColour(jid) }}
      aria-hidden={show === null ? 'true' : undefined}
    >
      {picture ? (
        <img class="avatar-img" src={`/avatars/${hash}`} alt="" width={40} height={40} decoding="async" onError={() => setBroken(hash)} />
      ) : (
        <span class="avatar-letter" aria-hidden="true">{initial(name)}</span>
      )}
      {show === null ? null : <PresenceDot show={show} />}
    </span>
  );
}
