/**
 * Doctor check of an XMPP domain Parley's users log in to: where to connect (PARLEY_XMPP_SERVICES, or the
 * `_xmpp-client._tcp` SRV records, RFC 6120 §3.2.1, or the domain itself on 5222), that TCP gets through, and
 * that an XMPP server answers our stream header for that domain.
 */
import net from 'node:net';
import { promises as dns, type SrvRecord } from 'node:dns';
import { isLoopback, parseService, type Endpoint } from '../xmpp/endpoints.js';
import { fail, pass, type CheckResult } from './check.js';
import { AddressRefused, publicAddresses, type LookupAll } from '../net/address-policy.js';

export interface SrvResolver {
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

export interface XmppCheckOptions {
  /** 'xmpp://host:port' from PARLEY_XMPP_SERVICES. */
  service?: string;
  resolver?: SrvResolver;
  /** As PARLEY_XMPP_REQUIRE_TLS: undefined = required unless the host is loopback. */
  requireTls?: boolean;
  timeoutMs?: number;
  /** name -> addresses, for the address policy check; default the system's */
  lookup?: LookupAll;
}

/** The domains the doctor checks: the default domain and every listed domain (none for '*'). */
export function xmppDomainsToCheck(xmpp: { defaultDomain: string | null; allowedDomains: string[] | '*' }): string[] {
  const list = [xmpp.defaultDomain, ...(xmpp.allowedDomains === '*' ? [] : xmpp.allowedDomains)].filter((d): d is string => !!d && d !== '*');
  return [...new Set(list)];
}

interface Located {
  endpoints: Endpoint[];
  how: string;
}

/** Where Parley would connect for `domain`; the same order as server/xmpp/endpoints.ts, but it says how it knows. */
export async function locateXmpp(domain: string, opts: Pick<XmppCheckOptions, 'service' | 'resolver'> = {}): Promise<Located | CheckResult> {
  const name = `xmpp ${domain}`;
  if (opts.service) return { endpoints: [parseService(opts.service)], how: 'PARLEY_XMPP_SERVICES' };
  const resolver = opts.resolver ?? dns;
  try {
    const records = await resolver.resolveSrv(`_xmpp-client._tcp.${domain}`);
    if (records.length === 1 && records[0]!.name === '.') {
      return fail(name, `the SRV record _xmpp-client._tcp.${domain} says there is no XMPP service`, `fix the DNS of ${domain}, or name the server in PARLEY_XMPP_SERVICES=${domain}=xmpp://host:5222`);
    }
    if (records.length > 0) {
      records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
      return { endpoints: records.map((r) => ({ host: r.name, port: r.port })), how: 'SRV' };
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ENODATA' && code !== 'ENOTFOUND') {
      return { endpoints: [{ host: domain, port: 5222 }], how: `SRV lookup failed (${code ?? (err as Error).message}), so the domain itself` };
    }
  }
  return { endpoints: [{ host: domain, port: 5222 }], how: 'no SRV record, so the domain itself' };
}

export type StreamProbe =
  | { ok: true; starttls: boolean; from: string | null }
  | { ok: false; problem: string; fix: string };

/** Connects, sends an XMPP stream header for `domain`, and reads until the server's stream features (or an error). */
export function probeXmppStream(endpoint: Endpoint, domain: string, timeoutMs = 5000): Promise<StreamProbe> {
  const at = `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    let received = '';
    let settled = false;
    const finish = (p: StreamProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => {
      finish(
        received
          ? { ok: false, problem: `${at} accepted TCP but sent no complete XMPP stream header within ${timeoutMs} ms`, fix: `is ${at} really the XMPP client port (usually 5222)?` }
          : { ok: false, problem: `${at}: no answer within ${timeoutMs} ms`, fix: `a firewall drops the traffic, or nothing serves ${at}: open TCP ${endpoint.port} from this machine` },
      );
    }, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      socket.write(
        `<?xml version='1.0'?><stream:stream to='${xmlAttr(domain)}' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
      );
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.length > 64 * 1024) received = received.slice(-64 * 1024);
      const verdict = readStreamStart(received, at, domain);
      if (verdict) finish(verdict);
    });
    socket.on('error', (err: Error & { code?: string }) => finish({ ok: false, problem: `${at}: ${err.code ?? err.message}`, fix: tcpFix(err.code, endpoint) }));
    socket.on('close', () => {
      finish({ ok: false, problem: received ? `${at} closed the connection: ${describeOdd(received)}` : `${at} closed the connection without a word`, fix: `is ${at} an XMPP client port (usually 5222)?` });
    });
  });
}

/** Decides from what arrived so far; null = wait for more. */
export function readStreamStart(text: string, at: string, domain: string): StreamProbe | null {
  if (/^HTTP\//.test(text)) return { ok: false, problem: `${at} is a web server, not XMPP`, fix: `point PARLEY_XMPP_SERVICES (or the SRV record) at the XMPP client port, usually 5222` };
  if (text.charCodeAt(0) === 0x15 || text.charCodeAt(0) === 0x16) {
    return { ok: false, problem: `${at} speaks TLS at once (direct TLS, XEP-0368), Parley uses STARTTLS`, fix: `use the STARTTLS port, usually 5222` };
  }
  const streamError = /<stream:error[\s>][\s\S]*?<([a-z-]+)[\s/][^>]*xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/.exec(text);
  if (streamError) {
    const condition = streamError[1]!;
    if (condition === 'host-unknown') return { ok: false, problem: `the XMPP server at ${at} does not serve ${domain} (host-unknown)`, fix: `add ${domain} as a VirtualHost on that server, or point PARLEY_XMPP_SERVICES / the SRV record at the right server` };
    return { ok: false, problem: `the XMPP server at ${at} refused the stream: ${condition}`, fix: `see the XMPP server's log for ${domain}` };
  }
  const header = /<(?:stream:)?stream\s[^>]*>/.exec(text);
  if (!header) {
    if (text.length > 4096 || (text.length > 0 && !text.trimStart().startsWith('<'))) {
      return { ok: false, problem: `${at} answered, but not with XMPP: ${describeOdd(text)}`, fix: `is ${at} the XMPP client port (usually 5222)?` };
    }
    return null;
  }
  if (!/http:\/\/etherx\.jabber\.org\/streams/.test(header[0])) return { ok: false, problem: `${at} sent a stream header without the XMPP streams namespace`, fix: `is ${at} an XMPP server?` };
  if (!/<(?:stream:)?features[\s>/]/.test(text)) return null; // the features follow the header, maybe in the next chunk
  const from = /\sfrom=['"]([^'"]+)['"]/.exec(header[0])?.[1] ?? null;
  return { ok: true, starttls: /<starttls[\s/>]/.test(text), from };
}

export async function checkXmppDomain(domain: string, opts: XmppCheckOptions = {}): Promise<CheckResult> {
  const name = `xmpp ${domain}`;
  const located = await locateXmpp(domain, opts);
  if ('ok' in located) return located;
  // Found through DNS: Parley connects only to public addresses (server/net/address-policy.ts), so the doctor says so.
  if (!opts.service) {
    for (const endpoint of located.endpoints) {
      const refused = await publicAddresses(endpoint.host, opts.lookup).then(
        () => null,
        (err: unknown) => (err instanceof AddressRefused ? err : null),
      );
      if (refused) {
        return fail(
          name,
          `${endpoint.host} (${located.how}) is ${refused.address}, a loopback or private address: Parley does not connect there for a domain found through DNS`,
          `if that server is yours, name it: PARLEY_XMPP_SERVICES=${domain}=xmpp://${endpoint.host}:${endpoint.port}`,
        );
      }
    }
  }
  let last: Extract<StreamProbe, { ok: false }> | null = null;
  for (const endpoint of located.endpoints) {
    const probe = await probeXmppStream(endpoint, domain, opts.timeoutMs);
    if (!probe.ok) {
      last = probe;
      continue;
    }
    const at = `${endpoint.host}:${endpoint.port}`;
    const requireTls = opts.requireTls ?? !isLoopback(endpoint.host);
    if (!probe.starttls && requireTls) {
      return fail(name, `${at} (${located.how}) is XMPP but offers no STARTTLS, and Parley requires TLS`, 'enable TLS on the XMPP server (a certificate for the domain), or set PARLEY_XMPP_REQUIRE_TLS=false on a trusted network only');
    }
    return pass(name, `${at} (${located.how}) answers as XMPP${probe.from ? ` for ${probe.from}` : ''}${probe.starttls ? ', STARTTLS offered' : ', no STARTTLS'}`);
  }
  return fail(name, `${last?.problem ?? 'no address to try'} (${located.how})`, last?.fix ?? `check the DNS of ${domain}`);
}

function tcpFix(code: string | undefined, { host, port }: Endpoint): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing listens on ${host}:${port}: start the XMPP server, or fix PARLEY_XMPP_SERVICES / the SRV record`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${host} does not resolve: add the DNS record, or name the server in PARLEY_XMPP_SERVICES`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${host}: check the network and firewall`;
    default:
      return `check that ${host}:${port} is reachable from this machine`;
  }
}

/** The first bytes of an unexpected answer, printable. */
function describeOdd(text: string): string {
  return JSON.stringify(text.slice(0, 60).replace(/[^\x20-\x7e]/g, '.'));
}

function xmlAttr(s: string): string {
  return s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
