/**
 * A deliberately tiny XMPP client over node:net for test set-up (PEP nodes, rosters, MAM look-ups).
 * It shares no code with Parley or @xmpp/* so that it stays an independent witness: its own incremental
 * XML reader, SASL PLAIN (the test Prosody allows it on loopback without TLS), resource binding, IQs.
 */
import net from 'node:net';
import { createHash, createHmac, pbkdf2, randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Concatenated character data directly inside this element. */
  text: string;
}

export function child(node: XmlNode, name: string, xmlns?: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name && (xmlns === undefined || c.attrs.xmlns === xmlns));
}

/** Serialises a node back to XML (for error messages and assertions). */
export function toXml(node: XmlNode): string {
  const attrs = Object.entries(node.attrs).map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
  const inner = escapeXml(node.text) + node.children.map(toXml).join('');
  return inner ? `<${node.name}${attrs}>${inner}</${node.name}>` : `<${node.name}${attrs}/>`;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e] ?? '';
  });
}

/**
 * Incremental reader for one XMPP stream: emits each complete top-level stanza (children of <stream:stream>).
 * Enough for the well-formed output of a real server; no DTDs, no CDATA (XMPP forbids both).
 */
export class StanzaReader {
  private buf = '';
  private stack: XmlNode[] = [];
  private inStream = false;

  constructor(private readonly onStanza: (el: XmlNode) => void, private readonly onStreamStart: () => void = () => {}) {}

  /** A stream restart (after SASL) begins a new document. */
  reset(): void {
    this.buf = '';
    this.stack = [];
    this.inStream = false;
  }

  feed(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const lt = this.buf.indexOf('<');
      if (lt < 0) {
        this.text(this.buf);
        this.buf = '';
        return;
      }
      if (lt > 0) this.text(this.buf.slice(0, lt));
      this.buf = this.buf.slice(lt);
      const end = this.tagEnd();
      if (end < 0) return; // incomplete tag: wait for more data
      const tag = this.buf.slice(0, end + 1);
      this.buf = this.buf.slice(end + 1);
      this.tag(tag);
    }
  }

  /** Index of the '>' closing the tag at the start of buf, skipping quoted attribute values; -1 if incomplete. */
  private tagEnd(): number {
    let quote = '';
    for (let i = 1; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') return i;
    }
    return -1;
  }

  private text(s: string): void {
    const top = this.stack[this.stack.length - 1];
    if (top && s) top.text += unescapeXml(s);
  }

  private tag(tag: string): void {
    if (tag.startsWith('<?') || tag.startsWith('<!')) return;
    if (tag.startsWith('</')) {
      const name = tag.slice(2, -1).trim();
      if (name === 'stream:stream') return;
      const done = this.stack.pop();
      if (done && this.stack.length === 0) this.onStanza(done);
      return;
    }
    const selfClosing = tag.endsWith('/>');
    const body = tag.slice(1, selfClosing ? -2 : -1);
    const nameMatch = /^[^\s/>]+/.exec(body);
    const name = nameMatch ? nameMatch[0] : '';
    const attrs: Record<string, string> = {};
    for (const m of body.slice(name.length).matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attrs[m[1] ?? ''] = unescapeXml(m[2] ?? m[3] ?? '');
    }
    if (name === 'stream:stream' && !this.inStream) {
      this.inStream = true;
      this.onStreamStart();
      return;
    }
    const node: XmlNode = { name, attrs, children: [], text: '' };
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.children.push(node);
    if (selfClosing) {
      if (!parent) this.onStanza(node);
    } else {
      this.stack.push(node);
    }
  }
}

interface Waiter {
  test: (el: XmlNode) => boolean;
  resolve: (el: XmlNode) => void;
}

export class RawXmpp {
  /** Every stanza received, in order (the raw helper never drops anything). */
  readonly received: XmlNode[] = [];
  private waiters: Waiter[] = [];
  private closed: Error | null = null;
  jid = '';

  private constructor(private readonly socket: net.Socket, private readonly reader: StanzaReader, private readonly domain: string) {}

  /**
   * Connects, authenticates with SASL PLAIN and binds a resource. Sends no presence.
   * With `anonymous`, `jid` is a host with anonymous login (SASL ANONYMOUS) and the password is ignored.
   */
  static async login(opts: {
    host: string;
    port: number;
    jid: string;
    password: string;
    resource?: string;
    timeoutMs?: number;
    anonymous?: boolean;
    /**
     * SCRAM-SHA-1 (RFC 5802, native PBKDF2) instead of PLAIN: the floor of what any client pays to log in. With a
     * `salted` cache, a SaltedPassword of the same salt and iteration count is reused (no PBKDF2); the one derived is
     * stored there.
     */
    scram?: { salted?: { salt: string; iterations: number; value: Buffer } };
    /** false: no resource binding (a bench floor that only measures authentication plus the stream restart). */
    bind?: boolean;
  }): Promise<RawXmpp> {
    const [local, domain] = (opts.anonymous ? ['', opts.jid] : opts.jid.split('@')) as [string, string];
    const socket = net.connect({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    let client!: RawXmpp;
    const reader = new StanzaReader((el) => client.dispatch(el));
    client = new RawXmpp(socket, reader, domain);
    socket.on('data', (d: string) => reader.feed(d));
    socket.on('error', (e) => client.fail(e));
    socket.on('close', () => client.fail(new Error('connection closed')));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const timeout = opts.timeoutMs ?? 10_000;
    try {
      client.openStream();
      await client.waitFor((el) => el.name === 'stream:features', timeout);
      if (opts.anonymous) client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>`);
      else if (opts.scram) await client.scramSha1(local, opts.password, opts.scram, timeout);
      else {
        const auth = Buffer.from(`\0${local}\0${opts.password}`).toString('base64');
        client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`);
      }
      const outcome = await client.waitFor((el) => el.name === 'success' || el.name === 'failure', timeout);
      if (outcome.name !== 'success') throw new Error(`SASL PLAIN failed for ${opts.jid}: ${toXml(outcome)}`);
      reader.reset();
      client.received.length = 0;
      client.openStream();
      await client.waitFor((el) => el.name === 'stream:features', timeout);
      if (opts.bind === false) return client;
      const bound = await client.iq(
        `<iq type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${escapeXml(opts.resource ?? `raw-${randomUUID().slice(0, 8)}`)}</resource></bind></iq>`,
        timeout,
      );
      client.jid = child(child(bound, 'bind') ?? bound, 'jid')?.text ?? '';
      return client;
    } catch (e) {
      socket.destroy();
      throw e;
    }
  }

  /** SCRAM-SHA-1 up to the client-final message; the caller waits for <success/> (whose v= is not checked here). */
  private async scramSha1(user: string, password: string, cache: { salted?: { salt: string; iterations: number; value: Buffer } }, timeout: number): Promise<void> {
    const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
    const nonce = randomBytes(18).toString('base64');
    const first = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`;
    const mark = this.received.length;
    this.send(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-1'>${Buffer.from(`n,,${first}`).toString('base64')}</auth>`);
    const challenge = await this.waitFor((el) => this.received.indexOf(el) >= mark && (el.name === 'challenge' || el.name === 'failure'), timeout);
    if (challenge.name !== 'challenge') throw new Error(`SCRAM-SHA-1 refused: ${toXml(challenge)}`);
    const serverFirst = Buffer.from(challenge.text, 'base64').toString();
    const attrs = new Map(serverFirst.split(',').map((kv) => [kv[0]!, kv.slice(2)] as const));
    const salt = attrs.get('s')!;
    const iterations = Number(attrs.get('i'));
    let salted = cache.salted?.salt === salt && cache.salted.iterations === iterations ? cache.salted.value : null;
    if (!salted) {
      salted = await pbkdf2Async(password, Buffer.from(salt, 'base64'), iterations, 20, 'sha1');
      cache.salted = { salt, iterations, value: salted };
    }
    const clientKey = createHmac('sha1', salted).update('Client Key').digest();
    const withoutProof = `c=biws,r=${attrs.get('r')}`;
    const signature = createHmac('sha1', createHash('sha1').update(clientKey).digest()).update(`${first},${serverFirst},${withoutProof}`).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
    this.send(`<response xmlns='${SASL}'>${Buffer.from(`${withoutProof},p=${proof}`).toString('base64')}</response>`);
  }

  private openStream(): void {
    this.send(`<?xml version='1.0'?><stream:stream to='${escapeXml(this.domain)}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
  }

  send(data: string): void {
    if (this.closed) throw this.closed;
    this.socket.write(data);
  }

  private dispatch(el: XmlNode): void {
    this.received.push(el);
    this.waiters = this.waiters.filter((w) => (w.test(el) ? (w.resolve(el), false) : true));
  }

  private fail(e: Error): void {
    if (!this.closed) this.closed = e;
  }

  /** Resolves with the first stanza (already received or still to come) that passes `test`. */
  waitFor(test: (el: XmlNode) => boolean, timeoutMs = 10_000): Promise<XmlNode> {
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const last = this.received.slice(-5).map(toXml).join('\n');
        reject(new Error(`RawXmpp(${this.jid}): no matching stanza within ${timeoutMs} ms; last received:\n${last}`));
      }, timeoutMs);
      const waiter: Waiter = { test, resolve: (el) => { clearTimeout(timer); resolve(el); } };
      this.waiters.push(waiter);
    });
  }

  /**
   * Sends an IQ (an `<iq …>` string without an id: one is added) and resolves with the result.
   * Rejects with the error stanza text on type='error'.
   */
  async iq(iqXml: string, timeoutMs = 10_000): Promise<XmlNode> {
    const id = `raw-${randomUUID()}`;
    const withId = iqXml.replace(/^<iq\b/, `<iq id='${id}'`);
    this.send(withId);
    const reply = await this.waitFor((el) => el.name === 'iq' && el.attrs.id === id && (el.attrs.type === 'result' || el.attrs.type === 'error'), timeoutMs);
    if (reply.attrs.type === 'error') throw new Error(`IQ error for ${withId}\n-> ${toXml(reply)}`);
    return reply;
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const gone = new Promise<void>((r) => this.socket.once('close', () => r()));
    try {
      this.socket.end('</stream:stream>');
    } catch {
      /* already closing */
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 1000))]);
    this.socket.destroy();
  }
}

// ---- Operations the interop tests need ----

const PUBSUB = 'http://jabber.org/protocol/pubsub';

function nodeConfigForm(fields: Record<string, string>): string {
  const extra = Object.entries(fields)
    .map(([k, v]) => `<field var='${escapeXml(k)}'><value>${escapeXml(v)}</value></field>`)
    .join('');
  return `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${PUBSUB}#node_config</value></field>${extra}</x>`;
}

/** Creates a PEP node on the own account with the given access model (no-op if it already exists). */
export async function createPepNode(conn: RawXmpp, node: string, accessModel: 'open' | 'presence' = 'open'): Promise<void> {
  try {
    await conn.iq(
      `<iq type='set'><pubsub xmlns='${PUBSUB}'><create node='${escapeXml(node)}'/><configure>${nodeConfigForm({ 'pubsub#access_model': accessModel })}</configure></pubsub></iq>`,
    );
  } catch (e) {
    if (!String(e).includes('<conflict')) throw e;
    await configurePepNode(conn, node, { 'pubsub#access_model': accessModel });
  }
}

/** Reconfigures an existing PEP node of the own account (pubsub#owner configure). */
export async function configurePepNode(conn: RawXmpp, node: string, fields: Record<string, string>): Promise<void> {
  const request = `<iq type='set'><pubsub xmlns='${PUBSUB}#owner'><configure node='${escapeXml(node)}'>${nodeConfigForm(fields)}</configure></pubsub></iq>`;
  // ejabberd 23.01 answers `wait` + internal-server-error ("Database failure") when the client publishes to the same node
  // at that moment (Profanity does at start): temporary by RFC 6120 §8.3.2, so ask again.
  for (let attempt = 1; ; attempt++) {
    try {
      await conn.iq(request);
      return;
    } catch (err) {
      if (attempt >= 5 || !/<error[^>]*type=["']wait["']/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Item payloads of a PEP node of `owner` (bare JID), newest per item id. */
export async function pepItems(conn: RawXmpp, owner: string, node: string): Promise<XmlNode[]> {
  const res = await conn.iq(`<iq type='get' to='${escapeXml(owner)}'><pubsub xmlns='${PUBSUB}'><items node='${escapeXml(node)}'/></pubsub></iq>`);
  const items = child(child(res, 'pubsub') ?? res, 'items');
  return items?.children.filter((c) => c.name === 'item') ?? [];
}

export async function rosterItems(conn: RawXmpp): Promise<XmlNode[]> {
  const res = await conn.iq(`<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`);
  return child(res, 'query')?.children.filter((c) => c.name === 'item') ?? [];
}

/**
 * Every archived message of the own account (XEP-0313 urn:xmpp:mam:2), oldest first, as the inner
 * forwarded <message/> elements. Pages through the archive with RSM.
 */
export async function mamMessages(conn: RawXmpp, opts: { with?: string; timeoutMs?: number } = {}): Promise<XmlNode[]> {
  const out: XmlNode[] = [];
  let after = '';
  for (let page = 0; page < 100; page++) {
    const queryid = `q-${randomUUID()}`;
    const form = opts.with
      ? `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with'><value>${escapeXml(opts.with)}</value></field></x>`
      : '';
    const rsm = `<set xmlns='http://jabber.org/protocol/rsm'><max>100</max>${after ? `<after>${escapeXml(after)}</after>` : ''}</set>`;
    const mark = conn.received.length;
    const res = await conn.iq(`<iq type='set'><query xmlns='urn:xmpp:mam:2' queryid='${queryid}'>${form}${rsm}</query></iq>`, opts.timeoutMs);
    // Prosody sends every <result/> message before the final IQ result, so all are in `received` by now.
    for (const el of conn.received.slice(mark)) {
      const result = child(el, 'result', 'urn:xmpp:mam:2');
      if (el.name !== 'message' || !result || result.attrs.queryid !== queryid) continue;
      const inner = child(child(result, 'forwarded') ?? result, 'message');
      if (inner) out.push(inner);
    }
    const fin = child(res, 'fin', 'urn:xmpp:mam:2');
    const last = child(child(fin ?? res, 'set') ?? res, 'last')?.text;
    if (!fin || fin.attrs.complete === 'true' || !last) break;
    after = last;
  }
  return out;
}
