/**
 * Where Parley may open connections that someone outside chose (an XMPP domain typed into the login form, its SRV
 * records, an upload slot's URL): never to loopback, private, link-local, CGNAT, multicast or unspecified
 * addresses, unless the admin named the target. The check is made on the resolved address that is then connected
 * to, so a DNS answer that changes between check and connect (rebinding) cannot get past it.
 */
import dns from 'node:dns';
import net from 'node:net';

const PRIVATE = new net.BlockList();
for (const [net4, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) {
  PRIVATE.addSubnet(net4, bits, 'ipv4');
}
for (const [net6, bits] of [['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net6, bits, 'ipv6');

/** True for an IP literal in a refused range; false for public addresses and for names (resolve them first). */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  // IPv4-mapped (::ffff:127.0.0.1) and IPv4-compatible (::127.0.0.1) IPv6 are checked as the IPv4 address they carry.
  const embedded = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (embedded) return PRIVATE.check(embedded[1]!, 'ipv4');
  if (family === 6 && /^::ffff:/i.test(address)) return true; // hex-written mapped form: refuse rather than parse
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class AddressRefused extends Error {
  override name = 'AddressRefused';
  readonly code = 'EADDRREFUSED';
  constructor(readonly host: string, readonly address: string) {
    super(`${host} resolves to ${address}, a loopback or private address`);
  }
}

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: LookupAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * The addresses to connect to for `host` (an IP literal or a name), every one of them public. Throws AddressRefused
 * when any is not: one private answer among public ones is a sign of a rebinding attempt, not a server to use.
 */
export async function publicAddresses(host: string, lookup: LookupAll = systemLookup): Promise<string[]> {
  const literal = host.replace(/^\[(.*)\]$/, '$1');
  const list = net.isIP(literal) ? [{ address: literal }] : await lookup(literal);
  const bad = list.find((a) => isPrivateAddress(a.address));
  if (bad) throw new AddressRefused(host, bad.address);
  if (list.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  return list.map((a) => a.address);
}

/**
 * dns.lookup that refuses private addresses, for http(s).request's own `lookup`: the address checked is the
 * address connected to (no second resolution an attacker's DNS could answer differently).
 */
export function publicOnlyLookup(onRefused: (host: string) => Error): typeof dns.lookup {
  return ((hostname: string, options: dns.LookupOptions, callback: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as dns.LookupAddress[];
      if (list.length === 0 || list.some((a) => isPrivateAddress(a.address))) return callback(onRefused(hostname), '');
      if (options.all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  }) as typeof dns.lookup;
}
