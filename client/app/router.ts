/** The open conversation lives in the URL hash (`#chat/<jid>`) so a reload or a shared link reopens it. */
export function peerFromHash(hash: string): string | null {
  const match = /^#chat\/(.+)$/.exec(hash);
  if (!match) return null;
  let jid: string;
  try {
    jid = decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
  jid = jid.trim().toLowerCase();
  return /^[^@/\s]+@[^@/\s]+$/.test(jid) ? jid : null;
}

export function hashForPeer(peer: string | null): string {
  return peer ? `#chat/${encodeURIComponent(peer).replace(/%40/g, '@')}` : '';
}
