/**
 * XMPP address checks for what the user types into room forms (RFC 7622 shape, bounded). The server checks again
 * with its own parser; this only catches typos early and keeps obvious garbage out of a submission.
 */
const PART_MAX = 1023;
/** RFC 7622 §3.3.1: characters a local part may not carry (besides spaces). */
const LOCAL_FORBIDDEN = /["&'/:<>@\s]/;

function validDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > PART_MAX || /[@/\s]/.test(domain)) return false;
  const name = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  return name.split('.').every((label) => label.length > 0 && label.length <= 63);
}

/** A full XMPP address: [local@]domain[/resource]. */
export function isJid(value: string): boolean {
  if (value.length === 0 || value.length > 3071) return false;
  const slash = value.indexOf('/');
  const bare = slash === -1 ? value : value.slice(0, slash);
  if (slash !== -1) {
    const resource = value.slice(slash + 1);
    if (resource.length === 0 || resource.length > PART_MAX || /^\s|\s$/.test(resource)) return false;
  }
  const at = bare.indexOf('@');
  if (at === -1) return validDomain(bare);
  const local = bare.slice(0, at);
  return local.length > 0 && local.length <= PART_MAX && !LOCAL_FORBIDDEN.test(local) && validDomain(bare.slice(at + 1));
}

/** A bare address with a local part (a user or a room): local@domain. */
export function isBareUserJid(value: string): boolean {
  return value.includes('@') && !value.includes('/') && isJid(value);
}

/** A local part alone (a room's name before @service). */
export function isLocalPart(value: string): boolean {
  return value.length > 0 && value.length <= PART_MAX && !LOCAL_FORBIDDEN.test(value);
}

/** Addresses typed into one field, separated by commas, semicolons, spaces or new lines. */
export function splitJids(text: string): string[] {
  return text.split(/[\s,;]+/).map((s) => s.trim()).filter((s) => s.length > 0);
}
