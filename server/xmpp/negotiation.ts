/**
 * The first steps of every client stream, before authentication: the TCP connection type, stream (re)open,
 * reading stream features, STARTTLS and the TLS rule. Shared by XmppConnection (login) and the in-band
 * registration (registration.ts), which stops before SASL.
 */
import ConnectionTCP from '@xmpp/connection-tcp';
import { xml, type Element } from '@xmpp/xml';
import { upgrade as upgradeTls } from '@xmpp/starttls/starttls.js';
import type { Socket } from 'node:net';
import type { ElementInbox } from './element-inbox.js';
import { isLoopback, type Endpoint } from './endpoints.js';
import { BoundedParser, DEFAULT_STANZA_LIMITS, type StanzaLimits, type StreamErrorCondition } from './bounded-parser.js';
import { XmppLoginError, type XmppStreamError, type LoginFailure } from './errors.js';

export const NS_STREAMS = 'http://etherx.jabber.org/streams';
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';

/** A stream bound our side crossed (BoundedParser, stanza rate): we closed the stream with this condition. */
export class StreamLimitError extends Error {
  override name = 'StreamLimitError';
  constructor(readonly condition: StreamErrorCondition, readonly text: string) {
    super(`closed the stream (${condition}): ${text}`);
  }
}

export interface GuardedTcpOptions {
  domain: string;
  service: string;
  timeout: number;
  limits?: StanzaLimits;
}

/**
 * ConnectionTCP with the guards a shared process needs against whatever server it talks to:
 * - every stream's parser is a BoundedParser, and the bytes of an unfinished top-level element are counted per socket
 *   read here; a stanza over the size bound is read on as a stub (its content dropped), and crossing the hard bound
 *   (or any other) sends the stream error, closes, and emits 'limit';
 * - a see-other-host stream error is not followed (the server would choose where Parley connects: an SSRF);
 * - @xmpp/connection 0.14 throws a TypeError from the socket's 'data' handler when a `</stream:stream>` arrives after
 *   its parser was dropped (late close after a stop() timeout), which kills the process: data without a parser is ignored.
 */
export class GuardedTcp extends ConnectionTCP {
  private readonly limits: StanzaLimits;
  private pendingBytes = 0;
  private limited = false;

  constructor(options: GuardedTcpOptions) {
    super(options);
    this.limits = options.limits ?? DEFAULT_STANZA_LIMITS;
    const violation = (condition: StreamErrorCondition, text: string) => this.closeForLimit(condition, text);
    const limits = this.limits;
    this.Parser = class extends BoundedParser {
      constructor() {
        super(limits, violation);
      }
    };
  }

  override _onData(data: Buffer | string): void {
    const parser = this.parser as BoundedParser | null;
    if (!parser || this.limited) return;
    try {
      parser.boundary = false;
      super._onData(data);
    } catch (err) {
      this.emit('error', err);
      return;
    }
    // A read that finished an element starts the count again (its tail, at most one read, goes uncounted).
    this.pendingBytes = parser.boundary ? 0 : this.pendingBytes + data.length;
    if (this.pendingBytes <= this.limits.maxBytes) return;
    // Over the bound: the stanza's content is dropped as it arrives (BoundedParser.skipStanza), up to a hard bound.
    if (this.pendingBytes > this.limits.maxSkippedBytes) this.closeForLimit('policy-violation', `element larger than ${this.limits.maxSkippedBytes} bytes`);
    else if (!parser.skipStanza('bytes')) this.closeForLimit('policy-violation', `element larger than ${this.limits.maxBytes} bytes`);
  }

  /** RFC 6120 §4.9: the stream error, the stream close, then the socket; nothing more is read from it. */
  closeForLimit(condition: StreamErrorCondition, text: string): void {
    if (this.limited) return;
    this.limited = true;
    this._detachParser();
    const socket = this.socket as unknown as Socket | null;
    if (socket && !socket.destroyed) {
      const bye = xml('stream:error', {}, xml(condition, { xmlns: NS_STREAM_ERRORS }), xml('text', { xmlns: NS_STREAM_ERRORS }, text)).toString() + '</stream:stream>';
      socket.resume(); // a paused socket (back-pressure) must still close
      socket.end(bye, () => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
    }
    this.emit('limit', new StreamLimitError(condition, text));
  }

  override async _onSeeOtherHost(error: Error): Promise<void> {
    this.emit('error', error);
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
  /** The server answered with stream features: an XMPP server is there (see beforeOpen). */
  opened?: boolean;
}

export function loginError(condition: LoginFailure, message: string, cause?: unknown): XmppLoginError {
  return new XmppLoginError(condition, message, cause === undefined ? undefined : { cause });
}

/**
 * Why no endpoint of `domain` could be connected to. Always 'unreachable': whatever happened before the stream
 * opened (refused, unreachable, timeout, not XMPP, an address the policy refused) gets the same answer, so the
 * login form cannot tell what listens where. The message (for the log only) keeps the cause.
 */
export function connectFailure(domain: string, lastError: unknown): XmppLoginError {
  const code = (lastError as { code?: string } | undefined)?.code;
  const detail = lastError instanceof Error && lastError.name === 'NoEndpoint' ? lastError.message : `${domain}: ${code ?? String(lastError)}`;
  return loginError('unreachable', `cannot connect to ${detail}`, lastError);
}

/** A failure before the stream opened (no features yet) becomes the uniform 'unreachable'; later ones stay as they are. */
export function beforeOpen(stream: NegotiationStream | null, domain: string, err: unknown): unknown {
  if (stream?.opened) return err;
  if (err instanceof XmppLoginError && err.condition === 'unreachable') return err;
  const detail = err instanceof Error ? err.message : String(err);
  return loginError('unreachable', `${domain}: no XMPP stream (${detail})`, err);
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
    await stream.inbox.race(open());
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
  stream.opened = true;
  if (features.getChild('starttls', NS_TLS) && !tcp.isSecure()) {
    await startTls(stream, domain);
    return nextFeatures(inbox);
  }
  if (tlsRequired(stream.endpoint, requireTls) && !tcp.isSecure()) {
    throw loginError('tls-failed', `${domain} does not offer STARTTLS and TLS is required`);
  }
  return features;
}
