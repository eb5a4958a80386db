/**
 * The open conversation lives in the URL hash (`#chat/<jid>`) so a reload or a shared link reopens it. A MUC-PM's peer
 * is the occupant's full JID `room@service/nick`: the room part is lowercased, the nick kept as it is (nicks are
 * case-sensitive), so it never turns into a bare JID (a direct chat).
 */
export function peerFromHash(hash: string): string | null {
  const match = /^#chat\/(.+)$/s.exec(hash);
  if (!match) return null;
  let jid: string;
  try {
    jid = decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
  jid = jid.trim();
  const slash = jid.indexOf('/');
  if (slash < 0) {
    jid = jid.toLowerCase();
    return /^[^@/\s]+@[^@/\s]+$/.test(jid) ? jid : null;
  }
  const room = jid.slice(0, slash).toLowerCase();
  const nick = jid.slice(slash + 1);
  return /^[^@/\s]+@[^@/\s]+$/.test(room) && nick.length > 0 && nick.length <= 256 ? `${room}/${nick}` : null;
}

export function hashForPeer(peer: string | null): string {
  return peer ? `#chat/${encodeURIComponent(peer).replace(/%40/g, '@')}` : '';
}

/**
 * An `xmpp:room@service?join` URI (RFC 5122, XEP-0045 §15.6), as a link or the `#join/<uri or address>` route: the
 * room's bare JID, or null. Only the `join` action (or none) is a room to join; a password is never taken from a link.
 */
export function roomFromJoinUri(text: string): string | null {
  let s = text.trim();
  if (s.length > 3100) return null;
  if (/^xmpp:/i.test(s)) s = s.slice(5);
  // xmpp://auth@host/room@service?join : the authority part is not the room.
  if (s.startsWith('//')) {
    const slash = s.indexOf('/', 2);
    if (slash < 0) return null;
    s = s.slice(slash + 1);
  }
  const q = s.indexOf('?');
  const query = q < 0 ? '' : s.slice(q + 1);
  const path = q < 0 ? s : s.slice(0, q);
  const action = query.split(';')[0]!.split('&')[0]!;
  if (query !== '' && action.toLowerCase() !== 'join') return null;
  let jid: string;
  try {
    jid = decodeURIComponent(path).trim().toLowerCase();
  } catch {
    return null;
  }
  return /^[^@/\s]+@[^@/\s]+$/.test(jid) ? jid : null;
}
