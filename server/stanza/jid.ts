/** Minimal JID helpers for addresses that arrive in stanzas (untrusted strings). */

export interface ParsedJid {
  local: string;
  domain: string;
  resource: string;
  bare: string;
}

const MAX_PART = 1023;

/** Parses a JID; returns null for anything malformed instead of throwing (hostile input is normal). */
export function parseJid(raw: string | undefined | null): ParsedJid | null {
  if (!raw || raw.length > 3071) return null;
  const slash = raw.indexOf('/');
  const bareRaw = slash === -1 ? raw : raw.slice(0, slash);
  const resource = slash === -1 ? '' : raw.slice(slash + 1);
  const at = bareRaw.indexOf('@');
  if (at === 0) return null;
  const local = at === -1 ? '' : bareRaw.slice(0, at);
  const domain = (at === -1 ? bareRaw : bareRaw.slice(at + 1)).toLowerCase();
  if (!domain || domain.length > MAX_PART || local.length > MAX_PART || resource.length > MAX_PART) return null;
  if (/[\s@/]/.test(domain) || /[\s@/"&'<>:]/.test(local)) return null;
  const lowerLocal = local.toLowerCase();
  return { local: lowerLocal, domain, resource, bare: lowerLocal ? `${lowerLocal}@${domain}` : domain };
}

export function bareOf(raw: string | undefined | null): string | null {
  return parseJid(raw)?.bare ?? null;
}
