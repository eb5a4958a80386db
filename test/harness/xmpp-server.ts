/**
 * One interface for the XMPP servers the tests run against (Prosody and ejabberd, Debian's packages), and the test
 * matrix: `for (const kind of testServers()) describe(serverLabel(kind), () => …)` runs the same tests on each.
 * PARLEY_TEST_SERVERS=prosody,ejabberd (the default) picks the servers.
 */
import { TestProsody } from './prosody.js';
import { TestEjabberd } from './ejabberd.js';

export type XmppServerKind = 'prosody' | 'ejabberd';

export const SERVER_KINDS: readonly XmppServerKind[] = ['prosody', 'ejabberd'];

/** What every test server takes; options one server cannot honour say so where they are read. */
export interface XmppServerOptions {
  domain?: string;
  /** SCRAM iteration count for new accounts (Prosody; ejabberd 23.01 has a fixed 4096). */
  scramIterations?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Seconds a stream-management session waits for resumption. */
  smacksHibernation?: number;
  /** In-band registration (XEP-0077); default true. */
  allowRegistration?: boolean;
  /** Largest file the upload service (XEP-0363, upload.DOMAIN) accepts, in bytes. */
  uploadSizeLimit?: number;
  /** false: no upload service at all (an XMPP server without XEP-0363). */
  fileShare?: boolean;
  /**
   * ejabberd only: force OMEMO's PEP nodes to this access model whatever the owner asks (mod_pubsub force_node_config),
   * as an operator may; the configuration request is accepted and silently not applied.
   */
  forceOmemoAccessModel?: 'presence' | 'roster' | 'whitelist' | null;
}

export interface TestXmppServer {
  readonly kind: XmppServerKind;
  readonly domain: string;
  readonly c2sPort: number;
  /** The XEP-0363 upload service's JID. */
  readonly uploadDomain: string;
  /** Every upload slot's GET URL starts with this (plain HTTP on loopback). */
  readonly uploadUrlPrefix: string;
  /** The server's recent console output (for failure messages). */
  readonly output: string;
  /** Creates an account and returns its bare JID. */
  createUser(localpart: string, password: string): Promise<string>;
  /** Number of c2s sessions the server holds for a bare JID (counted on the server side, not ours). */
  c2sSessionCount(bareJid: string): Promise<number>;
  /** SIGKILL (no clean shutdown). */
  kill(): Promise<void>;
  /** Kill, then start again on the same ports and data. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export function startXmppServer(kind: XmppServerKind, opts: XmppServerOptions = {}): Promise<TestXmppServer> {
  return kind === 'prosody' ? TestProsody.start(opts) : TestEjabberd.start(opts);
}

/** The servers of the matrix: PARLEY_TEST_SERVERS (comma-separated), default all. */
export function testServers(env: NodeJS.ProcessEnv = process.env): XmppServerKind[] {
  const wanted = (env.PARLEY_TEST_SERVERS ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (wanted.length === 0) return [...SERVER_KINDS];
  const unknown = wanted.filter((w) => !(SERVER_KINDS as readonly string[]).includes(w));
  if (unknown.length) throw new Error(`PARLEY_TEST_SERVERS: unknown server ${unknown.join(', ')} (known: ${SERVER_KINDS.join(', ')})`);
  return wanted as XmppServerKind[];
}

/** The describe() title for a server of the matrix. */
export function serverLabel(kind: XmppServerKind): string {
  return kind === 'prosody' ? 'Prosody 0.12' : 'ejabberd 23.01';
}
