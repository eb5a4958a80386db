/**
 * Where to connect: an explicit 'xmpp://host:port' service (named by the admin, trusted as it is), or the domain's
 * SRV records (RFC 6120 §3.2.1), then domain:5222. Names found through DNS are resolved here, every address is
 * checked against the address policy (server/net/address-policy.ts), and the endpoint is the IP literal itself:
 * the address checked is the address connected to, so a second DNS answer (rebinding) has no say.
 */
import { promises as dns, type SrvRecord } from 'node:dns';
import { isIP } from 'node:net';
import { AddressRefused, publicAddresses, systemLookup, type LookupAll } from '../net/address-policy.js';

export interface Endpoint {
  /** IP literal (resolved here) or, for an admin-named service, the name as configured */
  host: string;
  port: number;
  /** the name the address was found under (SRV target or domain), for logs */
  name?: string;
}

export interface Resolver {
  resolveSrv: (name: string) => Promise<SrvRecord[]>;
  lookup: LookupAll;
}

export const systemResolver: Resolver = { resolveSrv: (name) => dns.resolveSrv(name), lookup: systemLookup };

export function parseService(service: string): Endpoint {
  const url = new URL(service.includes('://') ? service : `xmpp://${service}`);
  if (url.protocol !== 'xmpp:') throw new Error(`unsupported service ${service} (only xmpp://host:port)`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port ? Number(url.port) : 5222 };
}

/** 'xmpp://host:port' as @xmpp/connection-tcp expects it (IPv6 in brackets). */
export function serviceUri({ host, port }: Endpoint): string {
  return `xmpp://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Why a domain has nothing to connect to; `refused` lists the addresses the policy turned down (for the log). */
export class NoEndpoint extends Error {
  override name = 'NoEndpoint';
  readonly code: string;
  constructor(readonly domain: string, readonly refused: AddressRefused[], detail: string) {
    super(refused.length ? `${domain}: refused ${refused.map((r) => `${r.host} (${r.address})`).join(', ')}` : `${domain}: ${detail}`);
    this.code = refused.length ? 'EADDRREFUSED' : 'ENOTFOUND';
  }
}

/**
 * The endpoints to try, in order. `service` (from PARLEY_XMPP_SERVICES) is used as it is; everything found through
 * DNS must be public. Throws NoEndpoint when nothing is left to try.
 */
export async function resolveEndpoints(domain: string, service?: string, resolver: Resolver = systemResolver): Promise<Endpoint[]> {
  if (service) return [parseService(service)];
  const bare = domain.replace(/^\[(.*)\]$/, '$1');
  const targets: { name: string; port: number }[] = [];
  if (!isIP(bare)) {
    try {
      const records = await resolver.resolveSrv(`_xmpp-client._tcp.${bare}`);
      // RFC 6120 §3.2.1: a single record with target "." means the service is decidedly not available.
      if (records.length === 1 && records[0]!.name === '.') throw new NoEndpoint(domain, [], 'publishes no XMPP client service');
      records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
      for (const r of records) targets.push({ name: r.name, port: r.port });
    } catch (err) {
      if (err instanceof NoEndpoint) throw err;
      // no SRV records: fall back to the domain itself
    }
  }
  if (targets.length === 0) targets.push({ name: bare, port: 5222 });
  const endpoints: Endpoint[] = [];
  const refused: AddressRefused[] = [];
  let lastError = 'no address';
  for (const target of targets) {
    try {
      for (const address of await publicAddresses(target.name, resolver.lookup)) endpoints.push({ host: address, port: target.port, name: target.name });
    } catch (err) {
      if (err instanceof AddressRefused) refused.push(err);
      else lastError = (err as { code?: string }).code ?? String(err);
    }
  }
  if (endpoints.length === 0) throw new NoEndpoint(domain, refused, lastError);
  return endpoints;
}
