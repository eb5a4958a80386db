/**
 * A whole Parley stack for integration tests: a real XMPP server (Prosody by default, or any kind of the matrix in
 * xmpp-server.ts), a fresh database on the real PostgreSQL,
 * a real Parley server on a free port, and helpers that log in over HTTP and open socket.io tabs.
 */
import { io, type Socket } from 'socket.io-client';
import { randomUUID } from 'node:crypto';
import { TestProsody, type ProsodyOptions } from './prosody.js';
import { startXmppServer, type TestXmppServer, type XmppServerKind } from './xmpp-server.js';
import { freePort } from './ports.js';
import { createTestDatabase } from './postgres.js';
import { loadConfig } from '../../server/app/config.js';
import { startParley, type Parley } from '../../server/app/parley.js';
import { createLogger, type Logger } from '../../server/app/logger.js';
import type { ClientCommands, ServerEvents, Commands, CommandResults } from '../../server/realtime/contract.js';

export interface StackOptions {
  /** Which XMPP server (default prosody). */
  server?: XmppServerKind;
  /** Its options (Prosody-only ones are ignored by ejabberd). */
  prosody?: ProsodyOptions;
  env?: Record<string, string>;
  /** more 'domain=xmpp://host:port' entries for PARLEY_XMPP_SERVICES, besides the Prosody's */
  services?: string[];
  /** Parley's logger (default: PARLEY_TEST_LOG level, silent); a test may capture what Parley logs. */
  log?: Logger;
  /** Serve static files and the client build from this directory (default public/). */
  publicDir?: string;
}

export class TestStack {
  private counter = 0;
  private constructor(
    readonly server: TestXmppServer,
    readonly parley: Parley,
    private readonly dropDb: () => Promise<void>,
    readonly databaseUrl: string,
  ) {}

  static async start(opts: StackOptions = {}): Promise<TestStack> {
    const server = await startXmppServer(opts.server ?? 'prosody', opts.prosody);
    const db = await createTestDatabase();
    try {
      const services = [`${server.domain}=xmpp://127.0.0.1:${server.c2sPort}`, ...(opts.services ?? [])].join(',');
      const env = { PORT: String(await freePort()), PARLEY_XMPP_SERVICES: services, ...opts.env };
      const parley = await startParley(TestStack.config(server, db.url, env), {
        log: opts.log ?? createLogger(process.env.PARLEY_TEST_LOG ?? 'silent'),
        publicDir: opts.publicDir,
      });
      return new TestStack(server, parley, db.drop, db.url);
    } catch (err) {
      await server.stop();
      await db.drop();
      throw err;
    }
  }

  static config(prosody: Pick<TestXmppServer, 'domain' | 'c2sPort'>, databaseUrl: string, env: Record<string, string>) {
    return loadConfig({
      NODE_ENV: 'test',
      PARLEY_HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      PARLEY_SESSION_SECRET: 'test-secret-test-secret-test-secret-0123',
      PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
      PARLEY_XMPP_REQUIRE_TLS: 'false',
      ...env,
    });
  }

  /** The XMPP server as Prosody, for the tests that need Prosody itself (its admin shell, SQL storage). */
  get prosody(): TestProsody {
    if (!(this.server instanceof TestProsody)) throw new Error(`this stack runs ${this.server.kind}, not Prosody`);
    return this.server;
  }

  /** The instance's own origin: the only Origin its sockets accept. */
  get url(): string {
    return this.parley.url;
  }

  async newUser(prefix = 'user'): Promise<{ jid: string; password: string }> {
    const local = `${prefix}${++this.counter}x${randomUUID().slice(0, 6)}`;
    const password = `pw-${randomUUID()}`;
    return { jid: await this.server.createUser(local, password), password };
  }

  private readonly tabs: TestTab[] = [];

  /** A new account logged in through the form, with one tab that has its 'hello'. Tabs are closed by close(). */
  async loggedIn(prefix: string): Promise<LoggedIn> {
    const user = await this.newUser(prefix);
    const browser = new HttpBrowser(this.url);
    const res = await browser.login(user.jid, user.password);
    if (res.status !== 303) {
      const said = /data-testid="login-error"[^>]*>([^<]*)</.exec(res.html)?.[1];
      throw new Error(`login of ${user.jid} failed (${res.status}): ${said ?? res.html.slice(0, 500)}`);
    }
    const openTab = (auth: TabAuth = {}) => {
      const tab = browser.tab(undefined, auth);
      this.tabs.push(tab);
      return tab;
    };
    const tab = openTab();
    await tab.waitFor('hello');
    const accountId = this.parley.sessions.sessions().find((s) => s.jid === user.jid)!.accountId;
    return { ...user, browser, tab, accountId, openTab };
  }

  async close(): Promise<void> {
    for (const tab of this.tabs) tab.close();
    await this.parley.close().catch(() => undefined);
    await this.server.stop();
    await this.dropDb();
  }
}

export interface LoggedIn {
  jid: string;
  password: string;
  browser: HttpBrowser;
  tab: TestTab;
  accountId: string;
  /** Another tab of the same browser (closed with the stack). */
  openTab: (auth?: TabAuth) => TestTab;
}

export interface LoginResult {
  status: number;
  cookie: string | null;
  location: string | null;
  html: string;
}

/** A browser without JavaScript: a cookie jar and form posts, as a person's browser would send them. */
export class HttpBrowser {
  private cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader);
    const res = await fetch(new URL(path, this.baseUrl), { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async csrf(path = '/login'): Promise<string> {
    const html = await (await this.request(path)).text();
    // A form's hidden field, or the app page's <body data-csrf> (its logout form is rendered by the client).
    const m = /name="_csrf"\s+value="([^"]+)"/.exec(html) ?? /value="([^"]+)"\s+name="_csrf"/.exec(html) ?? /data-csrf="([^"]+)"/.exec(html);
    if (!m) throw new Error(`no _csrf field on ${path}`);
    return m[1]!;
  }

  async post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.baseUrl },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async login(jid: string, password: string, extra: Record<string, string> = {}): Promise<LoginResult> {
    const token = await this.csrf('/login');
    const res = await this.post('/login', { jid, password, _csrf: token, ...extra });
    return { status: res.status, cookie: this.cookies.get('parley.sid') ?? null, location: res.headers.get('location'), html: await res.text() };
  }

  async logout(): Promise<Response> {
    const token = await this.csrf('/');
    return this.post('/logout', { _csrf: token });
  }

  /** Opens a socket.io "tab" with this browser's cookies and the instance's Origin. */
  tab(origin = this.baseUrl, auth: TabAuth = {}): TestTab {
    return new TestTab(this.baseUrl, this.cookieHeader, origin, auth);
  }
}

type AnyEvent = { name: keyof ServerEvents; payload: unknown };

/** What a tab says in its socket.io handshake, as the app does: whether its page is visible. */
export interface TabAuth {
  visible?: boolean;
}

export class TestTab {
  readonly socket: Socket<ServerEvents, ClientCommands>;
  readonly events: AnyEvent[] = [];
  private waiters: { test: (e: AnyEvent) => boolean; resolve: (e: AnyEvent) => void }[] = [];

  constructor(url: string, cookie: string, origin: string, auth: TabAuth = {}) {
    this.socket = io(url, { transports: ['websocket'], extraHeaders: { cookie, origin }, auth: { ...auth }, reconnection: false, forceNew: true });
    this.socket.onAny((name: keyof ServerEvents, payload: unknown) => {
      const e = { name, payload };
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => (w.test(e) ? (w.resolve(e), false) : true));
    });
  }

  /** Resolves with the first event (already received or future) matching. */
  waitFor<E extends keyof ServerEvents>(name: E, test: (p: Parameters<ServerEvents[E]>[0]) => boolean = () => true, timeoutMs = 10_000): Promise<Parameters<ServerEvents[E]>[0]> {
    const match = (e: AnyEvent) => e.name === name && test(e.payload as Parameters<ServerEvents[E]>[0]);
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen.payload as Parameters<ServerEvents[E]>[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${name}; got: ${JSON.stringify(this.events).slice(-1500)}`)), timeoutMs);
      this.waiters.push({ test: match, resolve: (e) => { clearTimeout(timer); resolve(e.payload as Parameters<ServerEvents[E]>[0]); } });
    });
  }

  async command<K extends keyof Commands>(name: K, payload: Commands[K], timeoutMs = 10_000): Promise<CommandResults[K]> {
    const result = await (this.socket.timeout(timeoutMs) as unknown as { emitWithAck: (n: string, p: unknown) => Promise<{ ok: boolean; data?: unknown; error?: string }> }).emitWithAck(name, payload);
    if (!result.ok) throw new Error(result.error);
    return result.data as CommandResults[K];
  }

  /** The raw result, for tests that expect a refusal. */
  async rawCommand(name: string, payload: unknown, timeoutMs = 10_000): Promise<{ ok: boolean; data?: unknown; error?: string }> {
    return (this.socket.timeout(timeoutMs) as unknown as { emitWithAck: (n: string, p: unknown) => Promise<{ ok: boolean; data?: unknown; error?: string }> }).emitWithAck(name, payload);
  }

  close(): void {
    this.socket.disconnect();
  }
}
