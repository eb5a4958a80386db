/**
 * XEP-0077 in-band registration: one short stream to the account's server, without authenticating.
 * Endpoint resolution, stream opening, STARTTLS and the TLS rule are those of the login (negotiation.ts);
 * then the registration get tells what the server wants, and the set sends user name + password.
 * The password is only written to that socket; nothing keeps it.
 */
import type { Socket } from 'node:net';
import type { Element } from '@xmpp/xml';
import makeId from '@xmpp/id';
import { ElementInbox } from './element-inbox.js';
import { isLoopback, resolveEndpoints, serviceUri, type Endpoint, type Resolver } from './endpoints.js';
import type { StanzaLimits } from './bounded-parser.js';
import { XmppLoginError, XmppStreamError, unreachableMessage } from './errors.js';
import { GuardedTcp, NS_STREAMS, beforeOpen, connectFailure, openSecuredStream, tuneSocket, type NegotiationStream } from './negotiation.js';
import { parseJid } from '../stanza/jid.js';
import { translateEn, type ServerTranslate } from '../../client/i18n/english.js';
import { buildRegisterGet, buildRegisterSet, offersRegistration, parseRegisterError, parseRegisterForm, type RegisterRefusal } from '../stanza/register.js';

export interface RegisterOptions {
  /** bare JID of the account to create */
  jid: string;
  password: string;
  /** 'xmpp://host:port'; default: SRV lookup of the domain, then domain:5222 */
  service?: string;
  /** as PARLEY_XMPP_REQUIRE_TLS; the password itself is never sent unencrypted except to this machine */
  requireTls?: boolean;
  /** the whole registration, default 15000 */
  timeoutMs?: number;
  /** bounds on what the server may send */
  limits?: StanzaLimits;
  /** DNS, for tests */
  resolver?: Resolver;
}

export type RegistrationFailure = RegisterRefusal | 'website' | 'unreachable' | 'timeout' | 'tls-failed';

export class RegistrationError extends Error {
  override name = 'RegistrationError';
  constructor(
    readonly reason: RegistrationFailure,
    /** what to tell the person registering, in the language of `t` (the message is the English text) */
    readonly describe: (t: ServerTranslate) => string,
    /** for the log: the XMPP condition or the local cause */
    readonly detail: string,
  ) {
    super(describe(translateEn));
  }
}

/** Creates the account on its XMPP server; resolves once the server said yes. Rejects with RegistrationError. */
export async function registerAccount(opts: RegisterOptions): Promise<void> {
  const address = parseJid(opts.jid);
  if (!address?.local || address.resource) throw new RegistrationError('invalid', (t) => t('jid.invalid'), 'bad-jid');
  const { local, domain } = address;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const open: { stream: NegotiationStream | null; over: boolean } = { stream: null, over: false };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(failure('timeout', domain, `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const work = (async () => {
    const endpoints = await resolveEndpoints(domain, opts.service, opts.resolver).catch((err: unknown) => {
      throw connectFailure(domain, err);
    });
    const stream = (open.stream = await connectAny(domain, endpoints, timeoutMs, opts.limits));
    if (open.over) close(stream); // timed out while connecting: the next step fails at once
    const features = await openSecuredStream(stream, domain, opts.requireTls);
    // Registration sends the password itself (no SCRAM here): only inside TLS, or to a server on this machine.
    if (!stream.tcp.isSecure() && !isLoopback(stream.endpoint.host)) throw failure('tls-failed', domain, 'no TLS, will not send a password in clear');
    // The stream feature is optional (XEP-0077 §4), so the get decides; without the feature, any refusal means "closed".
    const advertised = offersRegistration(features);
    const form = parseRegisterForm(
      await ask(stream, buildRegisterGet(), domain).catch((err: unknown) => {
        if (!advertised && err instanceof RegistrationError && err.reason === 'other') throw failure('closed', domain, `${err.detail}, registration not advertised`);
        throw err;
      }),
    );
    if (form.kind === 'unsupported') throw failure('website', domain, `registration form: ${form.reason}`, form.url);
    await ask(stream, buildRegisterSet(form, local, opts.password), domain);
  })();
  work.catch(() => {}); // after a timeout its rejection is expected
  try {
    await Promise.race([work, timeout]);
  } catch (err) {
    // Before the stream opened, every failure (the timeout too) is the same 'unreachable'.
    const seen = err instanceof RegistrationError && err.reason !== 'timeout' ? err : beforeOpen(open.stream, domain, err);
    throw seen instanceof RegistrationError ? seen : fromNegotiation(seen, domain);
  } finally {
    clearTimeout(timer);
    open.over = true;
    close(open.stream);
  }
}

/** An iq on the unauthenticated stream, answered by a result (returned) or an error (thrown as a refusal). */
async function ask(stream: NegotiationStream, request: Element, domain: string): Promise<Element> {
  const id = (request.attrs.id = makeId());
  await stream.tcp.write(request.toString());
  // Anything else the server sends meanwhile is not ours to handle; the overall timeout bounds the wait.
  for (;;) {
    const el = await stream.inbox.next();
    if (el.name !== 'iq' || el.attrs.id !== id) continue;
    if (el.attrs.type === 'result') return el;
    if (el.attrs.type === 'error') {
      const refusal = parseRegisterError(el);
      throw failure(refusal.refusal, domain, refusal.condition, refusal.text);
    }
  }
}

async function connectAny(domain: string, endpoints: Endpoint[], timeoutMs: number, limits: StanzaLimits | undefined): Promise<NegotiationStream> {
  let lastError: unknown;
  for (const endpoint of endpoints) {
    const service = serviceUri(endpoint);
    const tcp = new GuardedTcp({ domain, service, timeout: timeoutMs, ...(limits ? { limits } : {}) });
    const stream: NegotiationStream = { tcp, inbox: new ElementInbox(), endpoint, streamError: null };
    tcp.on('error', () => {
      // socket and parser errors end the stream; the 'disconnect' below fails the inbox
    });
    tcp.on('element', (el: Element) => {
      if (el.name === 'stream:error' || (el.getName() === 'error' && el.getNS() === NS_STREAMS)) {
        stream.streamError = XmppStreamError.fromElement(el);
        stream.inbox.fail(new XmppLoginError('stream-error', stream.streamError.message, { cause: stream.streamError }));
      } else stream.inbox.push(el);
    });
    tcp.on('limit', (err: Error) => stream.inbox.fail(new XmppLoginError('stream-error', err.message, { cause: err })));
    tcp.on('disconnect', () => stream.inbox.fail(new XmppLoginError('stream-error', stream.streamError?.message ?? 'connection closed')));
    tcp.on('close', () => (tcp.socket as { destroy?: () => void } | null)?.destroy?.());
    try {
      await stream.inbox.race(tcp.connect(service));
      tuneSocket(tcp);
      return stream;
    } catch (err) {
      lastError = err;
      close(stream);
    }
  }
  throw connectFailure(domain, lastError);
}

/** Ends the stream politely and lets the socket go (destroyed if the server does not close its side soon); never throws. */
function close(stream: NegotiationStream | null): void {
  if (!stream) return;
  stream.inbox.fail(new XmppLoginError('stream-error', 'closed'));
  const socket = stream.tcp.socket as unknown as Socket | null;
  if (!socket || socket.destroyed) return;
  try {
    socket.end('</stream:stream>');
  } catch {
    // already gone
  }
  setTimeout(() => socket.destroy(), 2000).unref();
}

function fromNegotiation(err: unknown, domain: string): RegistrationError {
  if (err instanceof XmppLoginError) {
    if (err.condition === 'unreachable' || err.condition === 'timeout' || err.condition === 'tls-failed') return failure(err.condition, domain, err.message);
    const cause = err.cause instanceof XmppStreamError ? err.cause.condition : null;
    if (cause === 'host-unknown') return failure('unreachable', domain, err.message);
    return failure('other', domain, err.message);
  }
  return failure('other', domain, err instanceof Error ? err.message : String(err));
}

function failure(reason: RegistrationFailure, domain: string, detail: string, extra: string | null = null): RegistrationError {
  return new RegistrationError(reason, (t) => registrationMessage(reason, domain, extra, t), detail);
}

/**
 * What the registration page says. `extra` is the server's explanation (for invalid and other) or the web page
 * (for website): untrusted text, rendered as text.
 */
export function registrationMessage(reason: RegistrationFailure, domain: string, extra: string | null = null, t: ServerTranslate = translateEn): string {
  const says = (text: string) => (extra ? `${text} ${t('register.serverSays', { text: extra })}` : text);
  switch (reason) {
    case 'taken':
      return t('register.taken', { domain });
    case 'invalid':
      return says(t('register.invalid', { domain }));
    case 'closed':
      return t('register.closed', { domain });
    case 'busy':
      return t('register.busy', { domain });
    case 'website':
      return extra ? t('register.websiteAt', { url: extra }) : t('register.website');
    case 'unreachable':
      return unreachableMessage(domain, t);
    case 'timeout':
      return t('xmpp.timeout', { domain });
    case 'tls-failed':
      return t('register.tlsFailed', { domain });
    default:
      return says(t('register.refused', { domain }));
  }
}
