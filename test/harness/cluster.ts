/**
 * Several real Parley processes behind one public URL for the cluster tests: one Prosody, one database, one Redis,
 * N nodes (child processes, so one can be SIGKILLed). Every node has the same PARLEY_PUBLIC_URL, so a browser's cookie
 * and Origin work on any of them, as behind a load balancer; the harness decides which node a tab talks to.
 */
import { randomUUID } from 'node:crypto';
import { TestProsody } from './prosody.js';
import { TestRedis } from './redis.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { freePort } from './ports.js';
import { ParleyProcess } from './parley-process.js';
import { HttpBrowser, TestTab } from './parley.js';
import type { ServerEvents } from '../../server/realtime/contract.js';

export interface ClusterOptions {
  nodes: number;
  env?: Record<string, string>;
}

export class TestCluster {
  private counter = 0;
  readonly tabs: RoamingTab[] = [];

  private constructor(
    readonly prosody: TestProsody,
    readonly db: TestDatabase,
    readonly redis: TestRedis,
    readonly nodes: (ParleyProcess | null)[],
    readonly ports: number[],
    readonly publicOrigin: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(opts: ClusterOptions): Promise<TestCluster> {
    const prosody = await TestProsody.start({ c2sProbe: true });
    const db = await createTestDatabase();
    const redis = await TestRedis.start();
    const ports = await Promise.all(Array.from({ length: opts.nodes }, () => freePort()));
    const publicOrigin = `http://127.0.0.1:${ports[0]}`;
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      PARLEY_SESSION_SECRET: 'cluster-secret-cluster-secret-cluster-01',
      PARLEY_XMPP_SERVICES: `${prosody.domain}=xmpp://127.0.0.1:${prosody.c2sPort}`,
      PARLEY_XMPP_REQUIRE_TLS: 'false',
      PARLEY_PUBLIC_URL: publicOrigin,
      PARLEY_REDIS_URL: redis.url,
      PARLEY_LOGIN_ATTEMPTS: '10000',
      PARLEY_SOCKET_RATE: '10000',
      PARLEY_SOCKET_BURST: '10000',
      ...opts.env,
    };
    const cluster = new TestCluster(prosody, db, redis, [], ports, publicOrigin, env);
    try {
      // One after the other: the first applies the migrations, the others find them applied.
      for (let i = 0; i < opts.nodes; i++) await cluster.startNode(i);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  nodeId(i: number): string {
    return `node-${i}`;
  }

  url(i: number): string {
    return `http://127.0.0.1:${this.ports[i]}`;
  }

  async startNode(i: number): Promise<ParleyProcess> {
    const node = await ParleyProcess.start({ ...this.env, PARLEY_NODE_ID: this.nodeId(i) }, this.ports[i]!);
    this.nodes[i] = node;
    return node;
  }

  /** SIGKILL: no shutdown code runs (its leases stay until they expire; its sockets and XMPP connections close). */
  async killNode(i: number): Promise<void> {
    await this.nodes[i]?.kill();
    this.nodes[i] = null;
  }

  alive(i: number): boolean {
    return !!this.nodes[i];
  }

  async newUser(prefix = 'user'): Promise<{ jid: string; password: string }> {
    const local = `${prefix}${++this.counter}x${randomUUID().slice(0, 6)}`;
    const password = `pw-${randomUUID()}`;
    return { jid: await this.prosody.createUser(local, password), password };
  }

  /** A browser whose requests go to node `i`, with the public Origin. */
  browser(i: number): NodeBrowser {
    return new NodeBrowser(this.url(i), this.publicOrigin);
  }

  /** A tab of `browser` on node `i`; when its socket drops, it reconnects to the node `next()` names (a load balancer). */
  tab(browser: HttpBrowser, i: number, next: (from: number) => number): RoamingTab {
    const tab = new RoamingTab(this, browser.cookieHeader, i, next);
    this.tabs.push(tab);
    return tab;
  }

  async close(): Promise<void> {
    for (const tab of this.tabs) tab.close();
    await Promise.all(this.nodes.map((n) => n?.stop()));
    await this.redis.stop();
    await this.prosody.stop();
    await this.db.drop();
  }
}

/** HttpBrowser whose form posts carry the cluster's public Origin whichever node they reach. */
export class NodeBrowser extends HttpBrowser {
  constructor(baseUrl: string, private readonly origin: string) {
    super(baseUrl);
  }

  override async post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

type AnyEvent = { name: keyof ServerEvents; payload: unknown; node: number; at: number };

/**
 * A tab that survives its node: when the socket drops without a logout, it opens a new socket (same cookie) on the node
 * the balancer names, as the app's socket.io client reconnects through a load balancer, without a reload.
 */
export class RoamingTab {
  current: TestTab;
  node: number;
  readonly events: AnyEvent[] = [];
  /** Nodes this tab moved to after its socket dropped. */
  readonly moves: { from: number; to: number; at: number }[] = [];
  private closed = false;
  loggedOut = false;

  constructor(
    private readonly cluster: TestCluster,
    private readonly cookie: string,
    node: number,
    private readonly next: (from: number) => number,
  ) {
    this.node = node;
    this.current = this.open(node);
  }

  private open(node: number): TestTab {
    const tab = new TestTab(this.cluster.url(node), this.cookie, this.cluster.publicOrigin);
    tab.socket.onAny((name: keyof ServerEvents, payload: unknown) => {
      this.events.push({ name, payload, node, at: Date.now() });
      if (name === 'logout') this.loggedOut = true;
    });
    const reconnect = () => {
      if (this.closed || this.loggedOut || this.current !== tab) return;
      const to = this.next(node);
      this.moves.push({ from: node, to, at: Date.now() });
      this.node = to;
      this.current = this.open(to);
    };
    tab.socket.on('disconnect', reconnect);
    // A node that is gone refuses the connection: the balancer sends the tab elsewhere.
    tab.socket.on('connect_error', () => setTimeout(reconnect, 100));
    return tab;
  }

  /** The hellos this tab got, wherever. */
  hellos(): AnyEvent[] {
    return this.events.filter((e) => e.name === 'hello');
  }

  close(): void {
    this.closed = true;
    this.current.close();
  }
}
