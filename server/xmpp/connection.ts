/**
 * One XMPP client session over TCP, kept alive across network drops.
 *
 * Composed from @xmpp/* 0.14 pieces: @xmpp/connection-tcp (socket, stream framing, XML parser), @xmpp/xml,
 * @xmpp/jid, @xmpp/id, @xmpp/starttls's TLS upgrade. Negotiation (STARTTLS, SASL, bind, XEP-0198) is a plain
 * sequential `async` function instead of @xmpp/client's middleware chain, because the latter swallows iq results
 * before stream management can count them and awaits between <enabled/> and the counter reset (NOTES.md).
 * Every inbound element is handled synchronously in the parser's event, so SM counts stanzas in parse order.
 */
import { EventEmitter } from 'node:events';
import type { XmppSocket } from '@xmpp/connection';
import { xml, type Element } from '@xmpp/xml';
import { jid as parseJid } from '@xmpp/jid';
import makeId from '@xmpp/id';
import { Backoff } from './backoff.js';
import { ElementInbox } from './element-inbox.js';
import { isLoopback, resolveEndpoints, serviceUri, type Endpoint, type Resolver } from './endpoints.js';
import { XmppLoginError, XmppStanzaError, XmppStreamError, type LoginFailure } from './errors.js';
import { GuardedTcp, NS_STREAMS, StreamLimitError, beforeOpen, connectFailure, loginError, openSecuredStream, openStream, nextFeatures, tuneSocket, type NegotiationStream } from './negotiation.js';
import { NS_OVERSIZED, type StanzaLimits } from './bounded-parser.js';
import { DEFAULT_ROOM_PRESENCE_RATE, DEFAULT_STANZA_RATE, StanzaRate, type RateSettings } from './stanza-rate.js';
import { NS_MUC_USER } from '../stanza/muc.js';
import { ScramError, ScramMechanism, type ScramKeys, type ScramMechanismName } from './scram.js';
import { NS_SM, StreamManagement, type Outbound } from './stream-management.js';

export type { ScramKeys } from './scram.js';
export { XmppLoginError, XmppStanzaError, XmppStreamError } from './errors.js';

export type ConnectionState = 'connecting' | 'online' | 'resuming' | 'reconnecting' | 'offline';

export interface ConnectOptions {
  /** bare JID user@domain */
  jid: string;
  password?: string;
  /** cached SCRAM keys: log in (and re-login) without the password */
  scramKeys?: ScramKeys;
  /** 'xmpp://host:port'; default: SRV lookup of the domain, then domain:5222 */
  service?: string;
  /** default 'parley-<random>' */
  resource?: string;
  /** default true unless the host is loopback; STARTTLS is used whenever offered */
  requireTls?: boolean;
  /** login timeout (each attempt), default 15000 */
  timeoutMs?: number;
  /** idle interval between SM ack requests that detect a dead TCP connection; default 60000 */
  keepaliveMs?: number;
  /** reconnect backoff; defaults 1 s .. 60 s */
  backoff?: { baseMs?: number; maxMs?: number };
  /** bounds on what the server may send (bounded-parser.ts); default Prosody-like */
  limits?: StanzaLimits;
  /** inbound stanzas per second (stanza-rate.ts) */
  stanzaRate?: RateSettings;
  /** inbound room occupant presences per second, a bucket of their own (stanza-rate.ts) */
  roomPresenceRate?: RateSettings;
  /** DNS, for tests; default the system's */
  resolver?: Resolver;
}

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_MAM = 'urn:xmpp:mam:2';
const DEFAULT_IQ_TIMEOUT = 30_000;
/** Stanzas received before the first 'stanza' listener exists are kept and delivered to it; past this many, reading pauses. */
const MAX_HELD = 10_000;
/** Stream errors after which reconnecting would only repeat the failure (or fight another client). */
const FATAL_STREAM_ERRORS = new Set(['conflict', 'not-authorized', 'policy-violation', 'host-unknown', 'improper-addressing']);
const FATAL_LOGIN: ReadonlySet<LoginFailure> = new Set(['not-authorized', 'no-mechanism', 'bad-jid']);

/** One TCP connection and its negotiation inbox; a new one per (re)connection attempt. */
type Stream = NegotiationStream;

interface PendingIq {
  resolve: (el: Element) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  expectedFrom: string | null;
  /** queryid of an archive query (XEP-0313): its result messages are answers, not unsolicited traffic */
  mamQueryId?: string;
}

interface Queued extends Outbound {
  written: { resolve: () => void; reject: (err: Error) => void };
}

type IqHandler = (iq: Element) => Promise<Element | void> | Element | void;

/** RFC 6120 §8: the only top-level elements that are stanzas (and that XEP-0198 counts). */
const STANZA_NAMES = new Set(['message', 'presence', 'iq']);

export class XmppConnection extends EventEmitter {
  readonly bareJid: string;
  private fullJid = '';
  private readonly domain: string;
  private readonly local: string;
  private resource: string;
  state: ConnectionState = 'connecting';

  private password: string | undefined;
  private cachedKeys: ScramKeys | undefined;
  private lastKeys: ScramKeys | null = null;

  private stream: Stream | null = null;
  /**
   * The stream features of the current stream after authentication (what the server offers this session), as
   * "name namespace" keys: the elements themselves (with their children) cost every idle session ~2 KiB.
   */
  private features: ReadonlySet<string> = new Set();
  private readonly sm = new StreamManagement();
  private resendAfterResume: Outbound[] = [];
  private readonly outbox: Queued[] = [];
  private readonly pendingIqs = new Map<string, PendingIq>();
  private readonly iqHandlers = new Map<string, IqHandler>();
  private held: Element[] | null = [];
  private ackRequestScheduled = false;
  private lastReceived = Date.now();
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private reconnectLoop: Promise<void> | null = null;
  private stopping = false;
  private attemptSeq = 0;
  private readonly backoff: Backoff;
  private rate: StanzaRate;
  private roomPresences: StanzaRate;
  /** Why reading the socket is paused (back-pressure); empty: reading. */
  private readonly pausedBy = new Set<string>();

  private constructor(private readonly opts: ConnectOptions) {
    super();
    let address;
    try {
      address = parseJid(opts.jid);
    } catch (err) {
      throw loginError('bad-jid', `invalid JID ${opts.jid}`, err);
    }
    if (!address.local || !address.domain) throw loginError('bad-jid', `not a user@domain JID: ${opts.jid}`);
    this.local = address.local;
    this.domain = address.domain;
    this.bareJid = `${this.local}@${this.domain}`;
    this.resource = opts.resource ?? `parley-${makeId()}`;
    this.password = opts.password;
    this.cachedKeys = opts.scramKeys;
    if (this.password === undefined && !this.cachedKeys) throw loginError('not-authorized', 'neither password nor SCRAM keys given');
    this.backoff = new Backoff({ baseMs: opts.backoff?.baseMs ?? 1000, maxMs: opts.backoff?.maxMs ?? 60_000 });
    this.rate = new StanzaRate(opts.stanzaRate ?? DEFAULT_STANZA_RATE);
    this.roomPresences = new StanzaRate(opts.roomPresenceRate ?? DEFAULT_ROOM_PRESENCE_RATE);
    // Stanzas parsed before the caller could subscribe (e.g. in the chunk with <enabled/>) wait for its first listener.
    this.on('newListener', (event: string) => {
      if (event === 'stanza' && this.held) setImmediate(() => this.releaseHeld());
    });
  }

  /** Logs in; resolves once the resource is bound and SM enabled (if offered). Rejects with XmppLoginError. */
  static async open(opts: ConnectOptions): Promise<XmppConnection> {
    const conn = new XmppConnection(opts);
    try {
      await conn.attempt('login');
    } catch (err) {
      conn.closeStream();
      conn.shutdown(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    conn.goOnline(false);
    return conn;
  }

  /** Full bound JID. */
  get jid(): string {
    return this.fullJid;
  }

  /** Whether the current stream's features (after authentication) include `<name xmlns=ns/>`, e.g. CSI (XEP-0352). */
  offers(name: string, ns: string): boolean {
    return this.features.has(`${name} ${ns}`);
  }

  scramKeys(): ScramKeys | null {
    return this.lastKeys;
  }

  /**
   * After a password change on the server: what the next (re)login uses. SCRAM keys replace everything; a password is
   * held only until the next login derives keys from it (as at the first login), then dropped.
   */
  replaceCredentials(secret: { scramKeys: ScramKeys } | { password: string }): void {
    if ('scramKeys' in secret) {
      this.cachedKeys = this.lastKeys = secret.scramKeys;
      this.password = undefined;
    } else {
      this.password = secret.password;
      this.cachedKeys = undefined;
      this.lastKeys = null;
    }
  }

  /** @internal for tests: the TCP socket under the current stream. */
  get socketForTests(): XmppSocket | null {
    return this.stream?.tcp.socket ?? null;
  }

  /** @internal for tests: our XEP-0198 inbound count (h) and whether SM is on. */
  get smStatus(): { enabled: boolean; inbound: number; outbound: number; acked: number; resumable: boolean } {
    return { enabled: this.sm.enabled, inbound: this.sm.inbound, outbound: this.sm.outbound, acked: this.sm.acked, resumable: this.sm.id !== null };
  }

  /**
   * Back-pressure: stop reading the socket (the server's sends then wait in TCP) until every reason given here was
   * lifted with resumeReading. Nothing is dropped; what was already read is delivered.
   */
  pauseReading(reason: string): void {
    this.pausedBy.add(reason);
    this.applyPause();
  }

  resumeReading(reason: string): void {
    if (!this.pausedBy.delete(reason)) return;
    this.applyPause();
  }

  get readingPaused(): boolean {
    return this.pausedBy.size > 0;
  }

  private applyPause(stream = this.stream): void {
    const socket = stream?.tcp.socket as unknown as { pause?: () => void; resume?: () => void } | null;
    if (this.pausedBy.size > 0) socket?.pause?.();
    else socket?.resume?.();
  }

  /** @internal for tests: consecutive failed or penalized connections (the reconnect delay grows with it). */
  get backoffAttempts(): number {
    return this.backoff.attempts;
  }

  // ---------------------------------------------------------------- sending

  /** Sends now when online, otherwise queues until the session is back. Resolves once written to the socket. */
  send(stanza: Element): Promise<void> {
    return this.enqueue(stanza, false);
  }

  /** Resolves when the server acked the stanza (XEP-0198 <a h/>); rejects if the session is lost first. Without SM: once written. */
  sendAcked(stanza: Element): Promise<void> {
    return this.enqueue(stanza, true);
  }

  /**
   * A nonza on the current stream (CSI's <active/>/<inactive/>, XEP-0352): not a stanza, so XEP-0198 does not count
   * it, and it is not queued: it only means something on the stream it was sent on. Resolves false when offline.
   */
  async sendNonza(el: Element): Promise<boolean> {
    if (STANZA_NAMES.has(el.name)) throw new TypeError(`<${el.name}/> is a stanza: use send()`);
    if (this.state !== 'online' || !this.stream) return false;
    await this.stream.tcp.write(el.toString());
    return true;
  }

  private enqueue(stanza: Element, wantAck: boolean): Promise<void> {
    // Stream management counts what goes through here; a nonza counted as a stanza would leave the last real one unacked forever.
    if (!STANZA_NAMES.has(stanza.name)) return Promise.reject(new TypeError(`<${stanza.name}/> is not a stanza: use sendNonza()`));
    if (this.state === 'offline') return Promise.reject(new Error('XMPP connection is offline'));
    return new Promise<void>((resolve, reject) => {
      let ackResolve!: () => void;
      let ackReject!: (err: Error) => void;
      const ackPromise = wantAck
        ? new Promise<void>((res, rej) => {
            ackResolve = res;
            ackReject = rej;
          })
        : null;
      const item: Queued = {
        stanza,
        written: wantAck ? { resolve: () => {}, reject } : { resolve, reject },
        ...(ackPromise ? { acked: { resolve: ackResolve, reject: ackReject } } : {}),
      };
      if (ackPromise) ackPromise.then(resolve, reject);
      if (this.state === 'online' && this.stream) this.write(item);
      else this.outbox.push(item);
    });
  }

  /** Writes one stanza on the current stream; SM counts it at this moment, in write order. */
  private write(item: Outbound & { written?: Queued['written'] }): void {
    const stream = this.stream;
    if (!stream) {
      this.outbox.push(item as Queued);
      return;
    }
    const tracked = this.sm.enabled;
    this.sm.onOutbound(item);
    stream.tcp.write(item.stanza.toString()).then(
      () => item.written?.resolve(),
      (err: Error) => {
        // With SM the stanza stays in the unacked queue and is sent again after resume / in the next session.
        if (tracked) item.written?.resolve();
        else item.written?.reject(err);
      },
    );
    if (tracked) this.scheduleAckRequest();
  }

  /** One <r/> after a burst of sends, not one per stanza. */
  private scheduleAckRequest(): void {
    if (this.ackRequestScheduled) return;
    this.ackRequestScheduled = true;
    setImmediate(() => {
      this.ackRequestScheduled = false;
      if (this.sm.enabled && this.sm.unacked.length > 0) this.writeNonza(xml('r', { xmlns: NS_SM }));
    });
  }

  private writeNonza(el: Element, stream = this.stream): void {
    stream?.tcp.write(el.toString()).catch(() => {
      // the socket is gone; the 'disconnect' handler takes it from here
    });
  }

  // ---------------------------------------------------------------- iq

  iq(request: Element, timeoutMs = DEFAULT_IQ_TIMEOUT): Promise<Element> {
    if (request.name !== 'iq' || (request.attrs.type !== 'get' && request.attrs.type !== 'set')) {
      return Promise.reject(new TypeError('iq() needs an <iq type="get|set">'));
    }
    const id = request.attrs.id ?? (request.attrs.id = makeId());
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingIqs.delete(id);
        reject(new XmppStanzaError('remote-server-timeout', 'wait', `no answer within ${timeoutMs} ms`, request));
      }, timeoutMs);
      const mamQueryId = request.getChild('query', NS_MAM)?.attrs.queryid;
      this.pendingIqs.set(id, { resolve, reject, timer, expectedFrom: request.attrs.to ?? null, ...(mamQueryId ? { mamQueryId } : {}) });
      this.send(request).catch((err: Error) => {
        if (this.pendingIqs.delete(id)) {
          clearTimeout(timer);
          reject(err);
        }
      });
    });
  }

  /** Answers inbound iq get/set whose first child has namespace `ns`. Unhandled ones get <service-unavailable/>. */
  onIq(type: 'get' | 'set', ns: string, handler: IqHandler): void {
    this.iqHandlers.set(`${type} ${ns}`, handler);
  }

  /** RFC 6120 §8.1.2.1: a response must come from the entity we addressed (or our server/account when no 'to'). */
  private isResponseFrom(el: Element, expected: string | null): boolean {
    const from = el.attrs.from?.toLowerCase();
    if (expected === null) return !from || from === this.bareJid.toLowerCase() || from === this.domain.toLowerCase() || from === this.fullJid.toLowerCase();
    const want = expected.toLowerCase();
    // Asking our own bare JID may be answered without 'from'.
    return from === want || (!from && want === this.bareJid.toLowerCase());
  }

  private async answerIq(iq: Element): Promise<void> {
    const child = iq.getChildElements()[0];
    const handler = child ? this.iqHandlers.get(`${iq.attrs.type} ${child.getNS() ?? ''}`) : undefined;
    const reply = (type: 'result' | 'error', ...children: Element[]) =>
      xml('iq', { type, id: iq.attrs.id, ...(iq.attrs.from ? { to: iq.attrs.from } : {}) }, ...children);
    const errorReply = (condition: string, errType: string) =>
      reply('error', xml('error', { type: errType }, xml(condition, { xmlns: NS_STANZAS })));
    if (child?.is('oversized', NS_OVERSIZED)) {
      await this.send(errorReply('policy-violation', 'modify'));
      return;
    }
    if (!handler) {
      await this.send(errorReply('service-unavailable', 'cancel'));
      return;
    }
    let answer: Element;
    try {
      const out = await handler(iq);
      if (!out) answer = reply('result');
      else if (out.name === 'iq') {
        out.attrs.id = iq.attrs.id!;
        if (iq.attrs.from) out.attrs.to = iq.attrs.from;
        out.attrs.type ??= 'result';
        answer = out;
      } else answer = reply('result', out);
    } catch (err) {
      answer = err instanceof XmppStanzaError ? errorReply(err.condition, err.type ?? 'cancel') : errorReply('internal-server-error', 'wait');
      if (!(err instanceof XmppStanzaError)) this.report(err);
    }
    await this.send(answer);
  }

  // ---------------------------------------------------------------- inbound

  /** Every top-level element of the current stream, synchronously from the parser (no await before counting). */
  private onElement(stream: Stream, el: Element): void {
    if (stream !== this.stream) return;
    this.lastReceived = Date.now();
    const { name } = el;
    if (name === 'message' || name === 'presence' || name === 'iq') {
      if (!this.solicited(el) && !this.bucketOf(el).take()) {
        stream.tcp.closeForLimit('policy-violation', 'too many stanzas per second');
        return;
      }
      this.sm.onInbound();
      this.onStanza(el);
      return;
    }
    const ns = el.getNS();
    if (ns === NS_SM) {
      this.onSmNonza(stream, el);
      return;
    }
    if (name === 'stream:error' || (el.getName() === 'error' && ns === NS_STREAMS)) {
      stream.streamError = XmppStreamError.fromElement(el);
      stream.inbox.fail(loginError('stream-error', stream.streamError.message, stream.streamError));
      return;
    }
    stream.inbox.push(el);
  }

  private bucketOf(el: Element): StanzaRate {
    return el.name === 'presence' && el.getChild('x', NS_MUC_USER) ? this.roomPresences : this.rate;
  }

  /** Answers to what we asked (iq results, the pages of an archive query still out) do not count against the rate. */
  private solicited(el: Element): boolean {
    if (el.name === 'iq') return (el.attrs.type === 'result' || el.attrs.type === 'error') && !!el.attrs.id && this.pendingIqs.has(el.attrs.id);
    const queryId = el.name === 'message' ? el.getChild('result', NS_MAM)?.attrs.queryid : undefined;
    if (!queryId) return false;
    for (const pending of this.pendingIqs.values()) if (pending.mamQueryId === queryId) return true;
    return false;
  }

  private onSmNonza(stream: Stream, el: Element): void {
    switch (el.name) {
      case 'r':
        // XEP-0198 §4: answer every <r/> with our h.
        if (this.sm.enabled) this.writeNonza(xml('a', { xmlns: NS_SM, h: this.sm.ackValue() }), stream);
        return;
      case 'a': {
        const problem = this.sm.onAck(Number(el.attrs.h));
        if (problem) this.report(new Error(`XEP-0198: ${problem}`));
        return;
      }
      case 'enabled':
        // Reset here, in the parser callback: stanzas later in this same chunk must count from zero.
        this.sm.onEnabled(el);
        break;
      case 'resumed': {
        const { resend, error } = this.sm.onResumed(Number(el.attrs.h));
        if (error) this.report(new Error(`XEP-0198 resume: ${error}`));
        this.resendAfterResume = resend;
        break;
      }
    }
    stream.inbox.push(el);
  }

  private onStanza(el: Element): void {
    const type = el.attrs.type;
    const oversized = el.getChild('oversized', NS_OVERSIZED);
    if (oversized) {
      // Counted by stream management already; an iq result stub is an error now and settles its caller below.
      this.emit('oversized', { name: el.name, type: type ?? null, from: el.attrs.from ?? null, reason: oversized.attrs.reason });
      if (el.name !== 'iq') return;
    }
    if (el.name === 'iq') {
      if (type === 'get' || type === 'set') {
        this.answerIq(el).catch((err: unknown) => this.report(err));
        return;
      }
      const pending = el.attrs.id ? this.pendingIqs.get(el.attrs.id) : undefined;
      if (pending && this.isResponseFrom(el, pending.expectedFrom)) {
        this.pendingIqs.delete(el.attrs.id!);
        clearTimeout(pending.timer);
        if (type === 'error') pending.reject(XmppStanzaError.fromStanza(el));
        else pending.resolve(el);
        return;
      }
    }
    if (this.held) {
      this.held.push(el);
      if (this.held.length >= MAX_HELD) this.pauseReading('held'); // nobody listens yet: wait rather than drop
      return;
    }
    this.emit('stanza', el);
  }

  private releaseHeld(): void {
    const held = this.held;
    if (!held || this.listenerCount('stanza') === 0) return;
    this.held = null;
    for (const el of held) this.emit('stanza', el);
    this.resumeReading('held');
  }

  // ---------------------------------------------------------------- negotiation

  /** One connection attempt, bounded by the login timeout. Resolves with whether the old session was resumed. */
  private async attempt(mode: 'login' | 'resume'): Promise<boolean> {
    const timeoutMs = this.opts.timeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(loginError('timeout', `no answer from the XMPP server within ${timeoutMs} ms`)), timeoutMs);
    });
    const negotiation = this.negotiate(mode, ++this.attemptSeq);
    negotiation.catch(() => {}); // its rejection after a timeout is expected
    try {
      return await Promise.race([negotiation, timeout]);
    } catch (err) {
      this.attemptSeq++; // a still-running negotiation must not install a new stream
      const failure = beforeOpen(this.stream, this.domain, err);
      this.closeStream();
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  private async negotiate(mode: 'login' | 'resume', seq: number): Promise<boolean> {
    let endpoints: Endpoint[];
    try {
      endpoints = await resolveEndpoints(this.domain, this.opts.service, this.opts.resolver);
    } catch (err) {
      throw connectFailure(this.domain, err);
    }
    const stream = await this.connectAny(endpoints, seq);
    const { tcp, inbox } = stream;
    let features = await openSecuredStream(stream, this.domain, this.opts.requireTls);

    await this.authenticate(stream, features, tcp.isSecure() || isLoopback(stream.endpoint.host));
    await openStream(stream, () => tcp.restart());
    features = await nextFeatures(inbox);
    this.features = new Set(features.getChildElements().map((el) => `${el.name} ${el.getNS() ?? ''}`));

    const smOffered = !!features.getChild('sm', NS_SM);
    if (mode === 'resume' && smOffered && this.sm.id) {
      tcp.write(xml('resume', { xmlns: NS_SM, previd: this.sm.id, h: this.sm.ackValue() }).toString()).catch(() => {});
      const answer = await inbox.next();
      if (answer.is('resumed', NS_SM)) return true; // counters and resend list were set in onSmNonza
      const h = answer.attrs.h === undefined ? undefined : Number(answer.attrs.h);
      this.report(new Error(`XEP-0198 resumption failed: ${answer.getChildElements()[0]?.name ?? 'unknown'}`));
      this.startNewSession(h);
    } else {
      this.startNewSession();
    }

    await this.bind(stream);
    // RFC 3921 session establishment, only where a (pre-RFC 6121) server still requires it.
    const session = features.getChild('session', NS_SESSION);
    if (session && !session.getChild('optional')) await this.negotiationIq(stream, xml('iq', { type: 'set' }, xml('session', { xmlns: NS_SESSION })));

    if (smOffered) {
      tcp.write(xml('enable', { xmlns: NS_SM, resume: 'true' }).toString()).catch(() => {});
      const answer = await inbox.next();
      if (!answer.is('enabled', NS_SM)) this.report(new Error('XEP-0198: server refused to enable stream management'));
    }
    return false;
  }

  private async connectAny(endpoints: Endpoint[], seq: number): Promise<Stream> {
    let lastError: unknown;
    for (const endpoint of endpoints) {
      if (seq !== this.attemptSeq) break; // this attempt timed out meanwhile
      const service = serviceUri(endpoint);
      const tcp = new GuardedTcp({ domain: this.domain, service, timeout: this.opts.timeoutMs ?? 15_000, ...(this.opts.limits ? { limits: this.opts.limits } : {}) });
      const stream: Stream = { tcp, inbox: new ElementInbox(), endpoint, streamError: null };
      tcp.on('limit', (err: StreamLimitError) => {
        if (stream !== this.stream) return;
        // Our side ended the stream: reconnect with a growing delay, as long as the server keeps doing it.
        this.backoff.penalize();
        this.rate = new StanzaRate(this.opts.stanzaRate ?? DEFAULT_STANZA_RATE);
        this.roomPresences = new StanzaRate(this.opts.roomPresenceRate ?? DEFAULT_ROOM_PRESENCE_RATE);
        this.report(err);
        stream.inbox.fail(loginError('stream-error', err.message, err));
      });
      tcp.on('error', (err: unknown) => {
        // Stream errors are reported once, by onStreamDown; the rest only matter on the live stream.
        if (stream === this.stream && this.state === 'online' && (err as Error | null)?.name !== 'StreamError') this.report(err);
      });
      tcp.on('element', (el: Element) => this.onElement(stream, el));
      tcp.on('disconnect', () => this.onStreamDown(stream));
      tcp.on('close', () => {
        // the server closed its stream (</stream:stream>): close the socket too, so 'disconnect' follows
        (tcp.socket as XmppSocket | null)?.destroy();
      });
      this.stream = stream;
      try {
        if (seq !== this.attemptSeq) throw new Error('attempt abandoned');
        await stream.inbox.race(tcp.connect(service));
        tuneSocket(tcp);
        this.applyPause(stream);
        return stream;
      } catch (err) {
        lastError = err;
        this.closeStream();
      }
    }
    throw connectFailure(this.domain, lastError);
  }

  private async authenticate(stream: Stream, features: Element, plainAllowed: boolean): Promise<void> {
    const offered = new Set(features.getChild('mechanisms', NS_SASL)?.getChildren('mechanism').map((m) => m.getText().trim()) ?? []);
    const wanted: string[] = this.password === undefined && this.cachedKeys ? [this.cachedKeys.mechanism] : ['SCRAM-SHA-256', 'SCRAM-SHA-1'];
    // PLAIN sends the password itself: only inside TLS, or to a server on this machine.
    if (this.password !== undefined && plainAllowed) wanted.push('PLAIN');
    const mechanism = wanted.find((m) => offered.has(m));
    if (!mechanism) throw loginError('no-mechanism', `no usable SASL mechanism (server offers ${[...offered].join(', ') || 'none'})`);
    const { tcp, inbox } = stream;
    const b64 = (s: string) => (s === '' ? '=' : Buffer.from(s, 'utf8').toString('base64'));
    const unb64 = (s: string) => Buffer.from(s.trim() === '=' ? '' : s.trim(), 'base64').toString('utf8');

    const scram = mechanism === 'PLAIN' ? null : new ScramMechanism(mechanism as ScramMechanismName);
    const cred = { username: this.local, password: this.password, scramKeys: this.cachedKeys };
    const first = scram ? await scram.response(cred) : `\0${this.local}\0${this.password ?? ''}`;
    await tcp.write(xml('auth', { xmlns: NS_SASL, mechanism }, b64(first)).toString());
    for (;;) {
      const el = await inbox.next();
      if (el.getNS() !== NS_SASL) throw loginError('stream-error', `unexpected <${el.name}/> during SASL`);
      if (el.name === 'challenge') {
        if (!scram) throw loginError('stream-error', 'unexpected SASL challenge for PLAIN');
        let response: string;
        try {
          scram.challenge(unb64(el.getText()));
          response = await scram.response(cred);
        } catch (err) {
          await tcp.write(xml('abort', { xmlns: NS_SASL }).toString()).catch(() => {});
          throw this.scramFailure(err);
        }
        await tcp.write(xml('response', { xmlns: NS_SASL }, b64(response)).toString());
      } else if (el.name === 'success') {
        if (scram) {
          try {
            const extra = unb64(el.getText());
            if (extra) scram.verifyServerFinal(extra);
            if (!scram.verified) throw new ScramError('the server did not prove it knows the password', 'server-signature');
          } catch (err) {
            throw this.scramFailure(err);
          }
          this.lastKeys = scram.keys();
          // Keep no password once keys exist: re-logins use the keys.
          if (this.lastKeys) {
            this.cachedKeys = this.lastKeys;
            this.password = undefined;
          }
        }
        return;
      } else if (el.name === 'failure') {
        const condition = el.getChildElements().find((c) => c.name !== 'text')?.name ?? 'not-authorized';
        const text = el.getChildText('text');
        const credentials = ['not-authorized', 'account-disabled', 'credentials-expired', 'invalid-authzid'].includes(condition);
        throw loginError(credentials ? 'not-authorized' : 'stream-error', `SASL ${condition}${text ? `: ${text}` : ''}`);
      }
    }
  }

  private scramFailure(err: unknown): XmppLoginError {
    if (err instanceof ScramError && err.reason === 'need-password') return loginError('not-authorized', err.message, err);
    return loginError('stream-error', `SCRAM: ${err instanceof Error ? err.message : String(err)}`, err);
  }

  private async bind(stream: Stream): Promise<void> {
    const result = await this.negotiationIq(stream, xml('iq', { type: 'set' }, xml('bind', { xmlns: NS_BIND }, xml('resource', {}, this.resource))));
    const bound = result.getChild('bind', NS_BIND)?.getChildText('jid');
    if (!bound) throw loginError('stream-error', 'resource binding returned no JID');
    this.fullJid = bound;
    this.resource = bound.slice(bound.indexOf('/') + 1);
  }

  /** An iq written straight to the stream during negotiation (the outbox is for the online session). */
  private negotiationIq(stream: Stream, request: Element): Promise<Element> {
    const id = (request.attrs.id = makeId());
    return new Promise<Element>((resolve, reject) => {
      const fail = (err: Error) => {
        if (this.pendingIqs.delete(id)) {
          clearTimeout(timer);
          off();
          reject(err);
        }
      };
      const timer = setTimeout(() => fail(loginError('timeout', 'no answer to a negotiation iq')), this.opts.timeoutMs ?? 15_000);
      this.pendingIqs.set(id, {
        resolve: (el) => (off(), resolve(el)),
        reject: (err) => (off(), reject(err instanceof XmppStanzaError ? loginError('stream-error', `${request.getChildElements()[0]?.name} failed: ${err.message}`, err) : err)),
        timer,
        expectedFrom: null,
      });
      const off = stream.inbox.onFailure(fail);
      stream.tcp.write(request.toString()).catch((err: Error) => fail(err));
    });
  }

  /**
   * A new session replaces the old one (first login, or resumption failed): what the old session never got
   * acked is taken out of SM; waiting iqs and sendAcked() promises of the old session are rejected.
   */
  private startNewSession(h?: number): void {
    const lost = this.sm.onSessionLost(h);
    this.resendAfterResume = [];
    const gone = new Error('XMPP session lost before the server acknowledged the stanza');
    for (const item of lost) {
      if (item.acked) item.acked.reject(gone); // the caller owns the retry (e.g. its outbox): no duplicate
      else this.resendAfterResume.push(item); // XEP-0198 §5: the client SHOULD resend unacked stanzas
    }
    for (const [id, pending] of this.pendingIqs) {
      clearTimeout(pending.timer);
      pending.reject(new XmppStanzaError('recipient-unavailable', 'wait', 'XMPP session lost before the answer'));
      this.pendingIqs.delete(id);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  private goOnline(resumed: boolean): void {
    this.setState('online');
    this.backoff.succeeded();
    this.applyPause(); // STARTTLS replaced the socket the pause was applied to
    // Order: what the server never got (resent) first, then what was queued while away.
    const resend = this.resendAfterResume.splice(0);
    for (const item of resend) this.write(item);
    for (const item of this.outbox.splice(0)) this.write(item);
    this.startKeepalive();
    this.emit('online', { resumed });
  }

  /** Non-fatal problems go to 'error' listeners; without one they must not crash the process (EventEmitter throws). */
  private report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private setState(state: ConnectionState, detail?: string): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state, detail);
  }

  private onStreamDown(stream: Stream): void {
    if (stream !== this.stream) return;
    this.stream = null;
    const err = stream.streamError ? loginError('stream-error', stream.streamError.message, stream.streamError) : loginError('stream-error', 'connection closed');
    stream.inbox.fail(err);
    this.stopKeepalive();
    if (this.stopping || this.state !== 'online') return; // a login attempt in progress sees the inbox failure
    this.sm.onStreamLost();
    this.backoff.dropped();
    if (stream.streamError && FATAL_STREAM_ERRORS.has(stream.streamError.condition)) {
      this.shutdown(stream.streamError, true);
      return;
    }
    if (stream.streamError) this.report(stream.streamError);
    this.reconnectLoop = this.reconnect();
  }

  private async reconnect(): Promise<void> {
    while (!this.stopping) {
      const resumable = this.sm.id !== null;
      this.setState(resumable ? 'resuming' : 'reconnecting');
      await this.sleep(this.backoff.next());
      if (this.stopping) return;
      try {
        const resumed = await this.attempt(resumable ? 'resume' : 'login');
        if (this.stopping) {
          this.closeStream();
          return;
        }
        this.goOnline(resumed);
        return;
      } catch (err) {
        if (this.stopping) return;
        this.report(err);
        if (err instanceof XmppLoginError && FATAL_LOGIN.has(err.condition)) {
          this.shutdown(err, true);
          return;
        }
        if (err instanceof XmppLoginError && err.cause instanceof XmppStreamError && FATAL_STREAM_ERRORS.has(err.cause.condition)) {
          this.shutdown(err, true);
          return;
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.reconnectTimer = null;
        resolve();
      }, ms);
      this.reconnectTimer = { timer, resolve };
    });
  }

  /** With SM: an <r/> when the line was idle, and the socket is dropped (→ resume) when nothing came back in time. */
  private startKeepalive(): void {
    this.stopKeepalive();
    const interval = this.opts.keepaliveMs ?? 60_000;
    this.keepaliveTimer = setInterval(() => {
      const stream = this.stream;
      if (!stream || !this.sm.enabled || this.state !== 'online') return;
      const silent = Date.now() - this.lastReceived;
      if (silent > interval * 2.5) stream.tcp.socket?.destroy();
      else if (silent >= interval) this.writeNonza(xml('r', { xmlns: NS_SM }));
    }, interval);
    this.keepaliveTimer.unref();
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
  }

  /** Drops the current stream without ceremony (its late events are ignored). */
  private closeStream(): void {
    const stream = this.stream;
    this.stream = null;
    if (!stream) return;
    stream.inbox.fail(loginError('stream-error', 'connection closed'));
    try {
      stream.tcp.socket?.destroy();
    } catch {
      // already gone
    }
  }

  /** Ends everything: pending work is rejected; `fatal` emits the 'fatal' event (gave up). */
  private shutdown(reason: Error, fatal = false): void {
    this.stopping = true;
    this.stopKeepalive();
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer.timer);
      this.reconnectTimer.resolve();
      this.reconnectTimer = null;
    }
    const err = new Error(`XMPP connection closed: ${reason.message}`, { cause: reason });
    for (const [id, pending] of this.pendingIqs) {
      clearTimeout(pending.timer);
      pending.reject(new XmppStanzaError('recipient-unavailable', 'cancel', err.message));
      this.pendingIqs.delete(id);
    }
    for (const item of this.outbox.splice(0)) {
      item.written.reject(err);
      item.acked?.reject(err);
    }
    for (const item of [...this.sm.onSessionLost(), ...this.resendAfterResume.splice(0)]) {
      item.acked?.reject(err);
      (item as Partial<Queued>).written?.reject(err);
    }
    this.setState('offline', reason.message);
    if (fatal) {
      this.closeStream();
      this.emit('fatal', reason);
    }
  }

  /** Graceful logout: unavailable presence, final ack, `</stream:stream>`, then the socket. Never throws. */
  async stop(): Promise<void> {
    if (this.stopping && this.state === 'offline' && !this.stream) return;
    const stream = this.stream;
    const wasOnline = this.state === 'online';
    this.stopping = true;
    try {
      if (stream && wasOnline) {
        const { tcp } = stream;
        const closed = new Promise<void>((resolve) => {
          tcp.once('close', () => resolve());
          tcp.once('disconnect', () => resolve());
          setTimeout(resolve, 2000).unref();
        });
        const unavailable = xml('presence', { type: 'unavailable' });
        this.sm.onOutbound({ stanza: unavailable }); // the server counts it, so must we
        const bye = unavailable.toString() + (this.sm.enabled ? xml('a', { xmlns: NS_SM, h: this.sm.ackValue() }).toString() : '');
        // Closing the stream cleanly ends the SM session on the server (no hibernation), as intended for a logout.
        await tcp.write(bye + '</stream:stream>').catch(() => {});
        await closed;
      }
    } catch {
      // stop() never throws
    } finally {
      this.closeStream();
      this.shutdown(new Error('stopped'));
      await this.reconnectLoop?.catch(() => {});
    }
  }
}
