/** Where to connect: an explicit 'xmpp://host:port' service, or the domain's SRV records (RFC 6120 §3.2.1), then domain:5222. */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

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

export async function resolveEndpoints(domain: string, service?: string): Promise<Endpoint[]> {
  if (service) return [parseService(service)];
  try {
    const records = await dns.resolveSrv(`_xmpp-client._tcp.${domain}`);
    // RFC 6120 §3.2.1: a single record with target "." means the service is decidedly not available.
    if (records.length === 1 && records[0]!.name === '.') return [];
    records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    if (records.length > 0) return records.map((r) => ({ host: r.name, port: r.port }));
  } catch {
    // no SRV records: fall back to the domain itself
  }
  return [{ host: domain, port: 5222 }];
}
