/**
 * The first steps of every client stream, before authentication: the TCP connection type, stream (re)open,
 * reading stream features, STARTTLS and the TLS rule. Shared by XmppConnection (login) and the in-band
 * registration (registration.ts), which stops before SASL.
 */
import ConnectionTCP from '@xmpp/connection-tcp';
import { xml, type Element } from '@xmpp/xml';
import { upgrade as upgradeTls } from '@xmpp/starttls/starttls.js';
import type { ElementInbox } from './element-inbox.js';
import { isLoopback, type Endpoint } from './endpoints.js';
import { XmppLoginError, type XmppStreamError, type LoginFailure } from './errors.js';

export const NS_STREAMS = 'http://etherx.jabber.org/streams';
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

/**
 * @xmpp/connection 0.14 throws a TypeError from the socket's 'data' handler when a `</stream:stream>` arrives after
 * its parser was dropped (late close after a stop() timeout), which kills the process. Ignore data without a parser.
 */
export class GuardedTcp extends ConnectionTCP {
  override _onData(data: Buffer | string): void {
    if (!this.parser) return;
    try {
      super._onData(data);
    } catch (err) {
      this.emit('error', err);
    }
  }
}
// The stream's default namespace; ConnectionTCP alone would put the streams namespace there.
GuardedTcp.prototype.NS = 'jabber:client';

/** One TCP connection and its negotiation inbox; a new one per connection attempt. */
export interface NegotiationStream {
  tcp: GuardedTcp;
  inbox: ElementInbox;
  endpoint: Endpoint;
  streamError: XmppStreamError | null;
}

export function loginError(condition: LoginFailure, message: string, cause?: unknown): XmppLoginError {
  return new XmppLoginError(condition, message, cause === undefined ? undefined : { cause });
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

/** Why no endpoint of `domain` could be connected to: unreachable (network) or stream-error (anything else). */
export function connectFailure(domain: string, lastError: unknown): XmppLoginError {
  const code = (lastError as { code?: string } | undefined)?.code;
  return loginError(code && !UNREACHABLE_CODES.has(code) ? 'stream-error' : 'unreachable', `cannot connect to ${domain}: ${code ?? String(lastError)}`, lastError);
}

/** Nagle + delayed ACKs stall multi-stanza exchanges ~40 ms (NOTES.md); keep-alive finds dead peers. */
export function tuneSocket(tcp: GuardedTcp): void {
  const socket = tcp.socket as unknown as { setNoDelay?: (on: boolean) => void; setKeepAlive?: (on: boolean, ms: number) => void } | null;
  socket?.setNoDelay?.(true);
  socket?.setKeepAlive?.(true, 30_000);
}

/** PARLEY_XMPP_REQUIRE_TLS: undefined means required, except for a server on this machine. */
export function tlsRequired(endpoint: Endpoint, requireTls: boolean | undefined): boolean {
  return requireTls ?? !isLoopback(endpoint.host);
}

/** Stream (re)open; a socket that closes or errors first becomes a login error. */
export async function openStream(stream: NegotiationStream, open: () => Promise<unknown>): Promise<void> {
  try {
    await Promise.race([open(), stream.inbox.whenFailed()]);
  } catch (err) {
    if (err instanceof XmppLoginError) throw err;
    throw stream.streamError ? loginError('stream-error', stream.streamError.message, stream.streamError) : loginError('stream-error', `stream did not open: ${String(err)}`, err);
  }
}

export async function nextFeatures(inbox: ElementInbox): Promise<Element> {
  const el = await inbox.next();
  if (!el.is('features', NS_STREAMS)) throw loginError('stream-error', `expected stream features, got <${el.name}/>`);
  return el;
}

/** STARTTLS (RFC 6120 §5) on `stream`, then the stream restart; the caller reads the new features. */
export async function startTls(stream: NegotiationStream, domain: string): Promise<void> {
  const { tcp, inbox } = stream;
  await tcp.write(xml('starttls', { xmlns: NS_TLS }).toString());
  const answer = await inbox.next();
  if (!answer.is('proceed', NS_TLS)) throw loginError('tls-failed', 'server refused STARTTLS');
  const plain = tcp.socket;
  tcp._detachSocket(); // the plain socket's data is TLS records from now on
  try {
    const secure = await upgradeTls(plain, { host: stream.endpoint.host, servername: domain });
    tcp._attachSocket(secure);
    // A socket closing during the handshake was detached above: watch the new one from here.
  } catch (err) {
    plain?.destroy();
    throw loginError('tls-failed', `TLS handshake with ${domain} failed: ${String(err)}`, err);
  }
  await openStream(stream, () => tcp.restart());
}

/**
 * Opens the stream for `domain` and returns the features to continue with: STARTTLS whenever offered, and a
 * refusal when TLS is required but not offered.
 */
export async function openSecuredStream(stream: NegotiationStream, domain: string, requireTls: boolean | undefined): Promise<Element> {
  const { tcp, inbox } = stream;
  await openStream(stream, () => tcp.open({ domain, lang: 'en' }));
  const features = await nextFeatures(inbox);
  if (features.getChild('starttls', NS_TLS) && !tcp.isSecure()) {
    await startTls(stream, domain);
    return nextFeatures(inbox);
  }
  if (tlsRequired(stream.endpoint, requireTls) && !tcp.isSecure()) {
    throw loginError('tls-failed', `${domain} does not offer STARTTLS and TLS is required`);
  }
  return features;
}
