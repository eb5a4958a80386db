/** A letter avatar with a presence dot. */
import type { Presence } from '../../server/realtime/contract.js';
import { colourSlot, initial, presenceLabel } from './format.js';

export function PresenceDot({ show }: { show: Presence }) {
  const label = presenceLabel(show);
  return <span class={`presence-dot presence-${show}`} role="img" aria-label={label} title={label} />;
}

export function Avatar({ jid, name, show }: { jid: string; name: string; show: Presence | null }) {
  return (
    <span class={`avatar avatar-${colourSlot(jid)}`} aria-hidden={show === null ? 'true' : undefined}>
      <span class="avatar-letter" aria-hidden="true">{initial(name)}</span>
      {show === null ? null : <PresenceDot show={show} />}
    </span>
  );
}
