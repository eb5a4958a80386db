/** A room's or an occupant's picture: the stored avatar when the server has one, else the initial on its XEP-0392 colour. */
import { useState } from 'preact/hooks';
import { initial } from '../format.js';
import { avatarColour } from '../xep0392.js';

export function RoomAvatar({ jid, name, hash = null, small = false }: { jid: string; name: string; hash?: string | null; small?: boolean }) {
  const [broken, setBroken] = useState<string | null>(null);
  // Only a hex digest is a path segment we build a URL from: anything else from the network is ignored.
  const picture = hash !== null && /^[0-9a-f]{40}$/.test(hash) && broken !== hash;
  return (
    <span class={`avatar${small ? ' avatar-small' : ''}${picture ? ' avatar-picture' : ''}`} style={picture ? undefined : { backgroundColor: avatarColour(jid) }} aria-hidden="true">
      {picture ? (
        <img class="avatar-img" src={`/avatars/${hash}`} alt="" width={small ? 28 : 40} height={small ? 28 : 40} decoding="async" onError={() => setBroken(hash)} />
      ) : (
        <span class="avatar-letter">{initial(name)}</span>
      )}
    </span>
  );
}
