/**
 * A hostile XMPP server for tests and the bench: a real TCP server that speaks just enough XMPP for Parley to log
 * in (stream open, features, SASL PLAIN accepted for any password, bind, empty roster and archive, a result for every
 * other iq), then misbehaves on command: a huge element, one that never closes, deep nesting, many attributes, a
 * flood of messages. It records what Parley sent back (stream errors) and every connection it got.
 */
import net from 'node:net';
import { EventEmitter, once } from 'node:events';
import { Parser, type Element } from '@xmpp/xml';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
const NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams';

export class HostileSession extends EventEmitter {
  /** The bound full JID, once Parley bound a resource. */
  jid: string | null = null;
  /** Stream error conditions Parley sent us (e.g. policy-violation). */
  readonly streamErrors: string[] = [];
  closed = false;
  private parser = new Parser();

  constructor(readonly socket: net.Socket, private readonly domain: string) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      try {
        this.parser.write(d.toString('utf8'));
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.emit('closed');
    });
    this.listen();
  }

  private listen(): void {
    this.parser.on('start', () => this.onOpen());
    this.parser.on('element', (el: Element) => this.onElement(el));
    this.parser.on('error', () => this.socket.destroy());
  }

  private raw(s: string): void {
    if (!this.socket.destroyed) this.socket.write(s);
  }

  private onOpen(): void {
    const bound = this.authed;
    this.raw(
      `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='${this.domain}' id='h${Math.random().toString(36).slice(2)}' version='1.0'>` +
        (bound
          ? `<stream:features><bind xmlns='${NS_BIND}'/></stream:features>`
          : `<stream:features><mechanisms xmlns='${NS_SASL}'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`),
    );
  }

  private authed = false;

  private onElement(el: Element): void {
    // Everything Parley sends after authentication, for tests that count its answers (e.g. to a flood of requests).
    if (this.authed) this.emit('stanza', el);
    if (el.name === 'auth') {
      const user = Buffer.from(el.getText(), 'base64').toString('utf8').split('\0')[1] ?? 'x';
      this.local = user;
      this.authed = true;
      this.raw(`<success xmlns='${NS_SASL}'/>`);
      // the client restarts the stream: a fresh parser for the new stream
      this.parser = new Parser();
      this.listen();
      return;
    }
    if (el.name === 'error' || el.name === 'stream:error') {
      const condition = el.getChildElements().find((c) => c.getNS() === NS_STREAMS && c.name !== 'text')?.name ?? 'undefined-condition';
      this.streamErrors.push(condition);
      this.emit('streamError', condition);
      return;
    }
    if (el.name !== 'iq' || (el.attrs.type !== 'get' && el.attrs.type !== 'set')) return;
    const id = el.attrs.id ?? '';
    const child = el.getChildElements()[0];
    const ns = child?.getNS();
    if (child?.name === 'bind' && ns === NS_BIND) {
      this.jid = `${this.local}@${this.domain}/${child.getChildText('resource') ?? 'r'}`;
      this.raw(`<iq type='result' id='${id}'><bind xmlns='${NS_BIND}'><jid>${this.jid}</jid></bind></iq>`);
      this.emit('bound', this.jid);
      return;
    }
    const refusal = ns ? this.iqRefusals.get(ns) : undefined;
    if (refusal) {
      const text = refusal.text ? `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>${refusal.text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>` : '';
      const from = el.attrs.to ? ` from='${el.attrs.to}'` : '';
      return this.raw(`<iq type='error' id='${id}'${from}><error type='${refusal.type}'><${refusal.condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>${text}</error></iq>`);
    }
    if (ns === 'jabber:iq:roster') return this.raw(`<iq type='result' id='${id}'><query xmlns='jabber:iq:roster'/></iq>`);
    if (ns === 'urn:xmpp:mam:2') return void this.answerArchive(id, child!.attrs.queryid ?? '');
    this.raw(`<iq type='result' id='${id}'/>`);
  }

  /** Namespaces whose iqs this session answers with an error (e.g. jabber:iq:register → not-allowed). */
  readonly iqRefusals = new Map<string, { condition: string; type: string; text?: string }>();

  private local = 'x';
  /** Messages the account's archive answers its first query with, all in one page (see HostileXmppServer.archive). */
  archive = 0;
  private archiveServed = false;

  private async answerArchive(id: string, queryId: string): Promise<void> {
    const n = this.archiveServed ? 0 : this.archive;
    this.archiveServed = true;
    const stamp = new Date(Date.now() - 3600_000).toISOString();
    for (let i = 0; i < n; i += 200) {
      let batch = '';
      for (let j = i; j < Math.min(n, i + 200); j++) {
        batch +=
          `<message to='${this.jid}'><result xmlns='urn:xmpp:mam:2' queryid='${queryId}' id='a${j}'><forwarded xmlns='urn:xmpp:forward:0'>` +
          `<delay xmlns='urn:xmpp:delay' stamp='${stamp}'/><message type='chat' from='old@${this.domain}/x' to='${this.bare}' id='m${j}'><body>old ${j}</body></message>` +
          `</forwarded></result></message>`;
      }
      if (!(await this.write(batch))) return;
    }
    const last = n ? `<first>a0</first><last>a${n - 1}</last>` : '';
    await this.write(`<iq type='result' id='${id}'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'>${last}<count>${n}</count></set></fin></iq>`);
  }

  get bare(): string {
    return `${this.local}@${this.domain}`;
  }

  /** Writes `data`, respecting the socket's back-pressure; false once the peer has closed. */
  async write(data: string): Promise<boolean> {
    if (this.socket.destroyed) return false;
    if (this.socket.write(data)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done).off('close', done);
        resolve();
      };
      this.socket.on('drain', done).on('close', done);
    });
    return !this.socket.destroyed;
  }

  /** One message stanza with a body of `bytes` bytes. */
  async hugeElement(bytes: number, from = `mallory@${this.domain}`): Promise<boolean> {
    return this.write(`<message type='chat' from='${from}/x' to='${this.jid}' id='huge'><body>${'A'.repeat(bytes)}</body></message>`);
  }

  /**
   * Opens a message and streams `bytes` of body text in `chunk`-sized writes, never closing it. Resolves with the
   * number of bytes written before Parley closed the connection (or all of them).
   */
  async neverClosing(bytes: number, chunk = 64 * 1024, stop?: () => boolean): Promise<number> {
    if (!(await this.write(`<message type='chat' from='mallory@${this.domain}/x' to='${this.jid}'><body>`))) return 0;
    const piece = 'A'.repeat(chunk);
    let sent = 0;
    while (sent < bytes && !stop?.()) {
      if (!(await this.write(piece))) break;
      sent += chunk;
    }
    return sent;
  }

  /** A message with `depth` nested elements. */
  async deepNesting(depth: number): Promise<boolean> {
    return this.write(`<message type='chat' from='mallory@${this.domain}/x' to='${this.jid}'>${'<x>'.repeat(depth)}${'</x>'.repeat(depth)}</message>`);
  }

  /** A message element with `count` attributes. */
  async manyAttributes(count: number): Promise<boolean> {
    const attrs = Array.from({ length: count }, (_, i) => `a${i}='v'`).join(' ');
    return this.write(`<message type='chat' from='mallory@${this.domain}/x' to='${this.jid}' ${attrs}><body>x</body></message>`);
  }

  /** `n` chat messages as fast as the socket takes them, in writes of `perWrite` stanzas. Resolves with how many were written. */
  async flood(n: number, perWrite = 200, from = `mallory@${this.domain}`): Promise<number> {
    let sent = 0;
    while (sent < n) {
      let batch = '';
      const k = Math.min(perWrite, n - sent);
      for (let i = 0; i < k; i++) batch += `<message type='chat' from='${from}/x' to='${this.jid}' id='f${sent + i}'><body>flood ${sent + i}</body></message>`;
      if (!(await this.write(batch))) break;
      sent += k;
    }
    return sent;
  }

  waitClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : once(this, 'closed').then(() => undefined);
  }
}

export class HostileXmppServer extends EventEmitter {
  /** Every TCP connection accepted, in order. */
  readonly sessions: HostileSession[] = [];
  /** How many messages each new session's archive answers the first query with (an honest burst Parley asked for). */
  archive = 0;
  private constructor(private readonly server: net.Server, readonly domain: string, readonly port: number, readonly host: string) {
    super();
  }

  static async start(opts: { domain?: string; host?: string; port?: number } = {}): Promise<HostileXmppServer> {
    const domain = opts.domain ?? 'hostile.test';
    const host = opts.host ?? '127.0.0.1';
    const server = net.createServer();
    server.listen(opts.port ?? 0, host);
    await once(server, 'listening');
    const hostile = new HostileXmppServer(server, domain, (server.address() as net.AddressInfo).port, host);
    server.on('connection', (socket) => {
      const session = new HostileSession(socket, domain);
      session.archive = hostile.archive;
      hostile.sessions.push(session);
      hostile.emit('session', session);
      session.once('bound', () => hostile.emit('bound', session));
    });
    return hostile;
  }

  get connections(): number {
    return this.sessions.length;
  }

  /** 'domain=xmpp://host:port' for PARLEY_XMPP_SERVICES. */
  get service(): string {
    return `${this.domain}=xmpp://${this.host}:${this.port}`;
  }

  /** The next session (after `after` of them) that bound a resource. */
  async boundSession(after = 0): Promise<HostileSession> {
    for (;;) {
      const s = this.sessions.slice(after).find((x) => x.jid && !x.closed);
      if (s) return s;
      await once(this, 'bound');
    }
  }

  /** The live bound session of account `bare` (waits for it). */
  async sessionOf(bare: string, opts: { after?: HostileSession } = {}): Promise<HostileSession> {
    for (;;) {
      const from = opts.after ? this.sessions.indexOf(opts.after) + 1 : 0;
      const s = this.sessions.slice(from).find((x) => x.jid && !x.closed && x.bare === bare);
      if (s) return s;
      await once(this, 'bound');
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A plain TCP listener that counts connections (and closes them): proof that nothing connected. */
export class ConnectionCounter {
  count = 0;
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(host: string, port = 0, answer = ''): Promise<ConnectionCounter> {
    const server = net.createServer();
    server.listen(port, host);
    await once(server, 'listening');
    const counter = new ConnectionCounter(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (s) => {
      counter.count++;
      counter.sockets.add(s);
      s.on('close', () => counter.sockets.delete(s));
      s.on('error', () => undefined);
      if (answer) s.end(answer);
      else s.destroy();
    });
    return counter;
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}
