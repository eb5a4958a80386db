/**
 * Starts a real Prosody for tests: a generated config in a temp dir, free loopback ports, no TLS,
 * low SCRAM iteration count, generous MAM limits. Accounts are created through the admin shell.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { killChild, stopChild } from './child-process.js';
import { freePort, waitForPort } from './ports.js';
import type { TestXmppServer, XmppServerOptions } from './xmpp-server.js';

const run = promisify(execFile);
/** From Debian's prosody-modules (not a core module). */
const MUC_MODERATION = '/usr/lib/prosody/modules/mod_muc_moderation/mod_muc_moderation.lua';

export interface ProsodyOptions extends XmppServerOptions {
  /** memory (default) forgets everything on restart; sql (SQLite) survives a restart. */
  storage?: 'memory' | 'internal' | 'sql';
  /** Bytes one account may upload per day (default 100 files of the size limit). */
  uploadDailyQuota?: number;
  /** More modules to load (community ones come from prosody-modules). */
  extraModules?: string[];
  /**
   * true: a MUC component (XEP-0045) at conference.DOMAIN with room archives (muc_mam), and message moderation
   * (XEP-0425 0.2, muc_moderation) when Debian's prosody-modules provides it; default false.
   */
  muc?: boolean;
}

/**
 * Debian packages that provide what Prosody's console says it could not load, e.g.
 * "Unable to load module 'storage_sql': … module 'DBI' not found" or a community module missing from modules_enabled.
 * null when the output shows no such failure.
 */
export function prosodyModuleProblem(output: string): string | null {
  if (/module 'DBI' not found|module 'dbd\.sqlite3' not found|DBI[^\n]*not found/.test(output)) {
    return 'Prosody cannot load its SQL driver (LuaDBI): install the Debian package lua-dbi-sqlite3';
  }
  const m = /Unable to load module '([\w-]+)'[^\n]*/.exec(output);
  if (!m) return null;
  // Installed (core or community) but failing is a real error; absent is a community module whose package is missing.
  const dir = '/usr/lib/prosody/modules';
  const installed = existsSync(`${dir}/mod_${m[1]}.lua`) || existsSync(`${dir}/mod_${m[1]}/mod_${m[1]}.lua`);
  return installed
    ? `Prosody could not load its module '${m[1]}': ${m[0]}`
    : `Prosody could not load module '${m[1]}', a community module: install the Debian package prosody-modules (${m[0]})`;
}

export class TestProsody implements TestXmppServer {
  readonly kind = 'prosody' as const;
  readonly domain: string;
  readonly dir: string;
  readonly c2sPort: number;
  readonly httpPort: number;
  private proc: ChildProcess | null = null;
  private readonly options: Required<ProsodyOptions>;
  output = '';

  private constructor(dir: string, c2sPort: number, httpPort: number, options: Required<ProsodyOptions>) {
    this.dir = dir;
    this.c2sPort = c2sPort;
    this.httpPort = httpPort;
    this.options = options;
    this.domain = options.domain;
  }

  static async start(opts: ProsodyOptions = {}): Promise<TestProsody> {
    if (!existsSync('/usr/bin/prosody')) {
      throw new Error('Prosody is not installed: run `apt-get install prosody prosody-modules lua-dbi-sqlite3` (or `npm test` as root, which installs it).');
    }
    if (opts.forceOmemoAccessModel) throw new Error('Prosody 0.12 has no way to force an access model on PEP nodes (forceOmemoAccessModel is for ejabberd)');
    const options: Required<ProsodyOptions> = {
      domain: opts.domain ?? 'localhost',
      storage: opts.storage ?? 'memory',
      scramIterations: opts.scramIterations ?? 100,
      logLevel: opts.logLevel ?? 'warn',
      smacksHibernation: opts.smacksHibernation ?? 60,
      allowRegistration: opts.allowRegistration ?? true,
      uploadSizeLimit: opts.uploadSizeLimit ?? 10 * 1024 * 1024,
      uploadDailyQuota: opts.uploadDailyQuota ?? (opts.uploadSizeLimit ?? 10 * 1024 * 1024) * 100,
      fileShare: opts.fileShare ?? true,
      extraModules: opts.extraModules ?? [],
      forceOmemoAccessModel: null, // Prosody 0.12 has no such setting
      muc: opts.muc ?? false,
    };
    const dir = await mkdtemp(path.join(tmpdir(), 'parley-prosody-'));
    await mkdir(path.join(dir, 'data'), { recursive: true });
    await mkdir(path.join(dir, 'nocerts'), { recursive: true });
    const p = new TestProsody(dir, await freePort(), await freePort(), options);
    await writeFile(p.configPath, p.config());
    await p.launch();
    return p;
  }

  /** The MUC service (with the `muc` option). */
  get mucDomain(): string {
    return `conference.${this.domain}`;
  }

  /** The XEP-0363 upload service. */
  get uploadDomain(): string {
    return `upload.${this.domain}`;
  }

  get uploadUrlPrefix(): string {
    return `http://127.0.0.1:${this.httpPort}/file_share/`;
  }

  get configPath(): string {
    return path.join(this.dir, 'prosody.cfg.lua');
  }

  private config(): string {
    const o = this.options;
    const storage = o.storage === 'sql'
      ? `storage = "sql"\nsql = { driver = "SQLite3", database = "${this.dir}/data/prosody.sqlite" }`
      : `storage = "${o.storage}"`;
    return `-- generated by test/harness/prosody.ts
run_as_root = true
pidfile = "${this.dir}/prosody.pid"
data_path = "${this.dir}/data"
admin_socket = "${this.dir}/data/prosody.sock"
log = { { levels = { min = "${o.logLevel}" }, to = "console" } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${this.c2sPort} }
c2s_direct_tls_ports = {}
s2s_ports = {}
http_ports = { ${this.httpPort} }
https_ports = {}
http_interfaces = { "127.0.0.1" }
component_ports = {}
network_settings = { nagle = false }
modules_enabled = {
  "roster"; "saslauth"; "disco"; "carbons"; "pep"; "private"; "blocklist";
  "vcard4"; "vcard_legacy"; "version"; "uptime"; "time"; "ping"; "register";
  "admin_shell"; "mam"; "csi_simple"; "smacks"; "bookmarks"; "offline"; "lastactivity";${o.extraModules.map((m) => ` "${m}";`).join('')}
}
modules_disabled = { "s2s"; "dialback"; "tls" }
${storage}
authentication = "internal_hashed"
default_iteration_count = ${o.scramIterations}
c2s_require_encryption = false
s2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = ${o.allowRegistration}
registration_throttle_max = 100000
min_seconds_between_registrations = 0
archive_expires_after = "never"
default_archive_policy = true
max_archive_query_results = 250
storage_archive_item_limit = 1000000
smacks_hibernation_time = ${o.smacksHibernation}
limits = { c2s = { rate = "100mb/s" } }
certificates = "${this.dir}/nocerts"
-- HTTP (file uploads): the slot URLs point at this port on loopback, whatever Host the request names.
http_external_url = "http://127.0.0.1:${this.httpPort}/"
http_default_host = "${this.uploadDomain}"
VirtualHost "${o.domain}"
${o.fileShare ? `-- XEP-0363: listed in the domain's disco#items as a subdomain component; uploads from ${o.domain} accounts.
Component "${this.uploadDomain}" "http_file_share"
  http_file_share_size_limit = ${o.uploadSizeLimit}
  http_file_share_daily_quota = ${o.uploadDailyQuota}
  http_file_share_expires_after = -1
` : ''}${o.muc ? `Component "${this.mucDomain}" "muc"
  modules_enabled = { "muc_mam"${existsSync(MUC_MODERATION) ? '; "muc_moderation"' : ''} }
` : ''}`;
  }

  private async launch(): Promise<void> {
    this.output = '';
    const proc = spawn('prosody', ['-F', '--config', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const keep = (b: Buffer) => { this.output = (this.output + b.toString()).slice(-20_000); };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let onExit: (code: number | null) => void = () => undefined;
    const exited = new Promise<never>((_, reject) => {
      onExit = (code) => reject(new Error(`prosody exited (${code}): ${this.output}`));
      proc.once('exit', onExit);
    });
    const moduleFailure = () => {
      const problem = prosodyModuleProblem(this.output);
      return problem ? new Error(problem) : null;
    };
    const ready = (async () => {
      await waitForPort(this.c2sPort, '127.0.0.1', 10_000, moduleFailure);
      // Modules load during start-up, before the admin shell answers: then the output tells whether all of them did.
      await this.waitForAdminShell();
      const failure = moduleFailure();
      if (failure) throw failure;
    })();
    try {
      await Promise.race([ready, exited]);
    } catch (err) {
      await this.kill();
      throw err;
    } finally {
      proc.off('exit', onExit);
    }
  }

  /** The admin socket can lag behind the c2s port at start-up on a busy machine: wait for it to answer. */
  private async waitForAdminShell(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await run('prosodyctl', ['--config', this.configPath, 'shell', 'server:version()'], { timeout: 10_000 });
        return;
      } catch (err) {
        const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
        if (!/Unable to connect to server/.test(out) || Date.now() > deadline) throw new Error(`Prosody's admin shell does not answer: ${out || (err as Error).message}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  /** Runs a command in Prosody's admin shell (mod_admin_shell) and returns what it printed. */
  async shell(command: string): Promise<string> {
    const { stdout } = await run('prosodyctl', ['--config', this.configPath, 'shell', ...command.split(' ')], { timeout: 10_000 });
    return stdout;
  }

  /** Creates the account; a refusal (it exists, a module is broken) is thrown with what prosodyctl said. */
  async createUser(localpart: string, password: string): Promise<string> {
    const jid = `${localpart}@${this.domain}`;
    try {
      await run('prosodyctl', ['--config', this.configPath, 'shell', 'user', 'create', jid, password], { timeout: 10_000 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      const problem = prosodyModuleProblem(this.output);
      throw new Error(`cannot create ${jid}${problem ? `: ${problem}` : ''}: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`);
    }
    return jid;
  }

  /** Number of c2s sessions Prosody holds for a bare JID (counted on the server side, not ours). */
  async c2sSessionCount(bareJid: string): Promise<number> {
    const out = await this.shell('c2s show');
    return out.split('\n').filter((line) => line.includes(`${bareJid}/`)).length;
  }

  /** Prosody's Client State Indication state (XEP-0352) of each c2s session of a bare JID: 'active', 'inactive', 'flushing'. */
  async csiStates(bareJid: string): Promise<string[]> {
    const out = await this.shell('c2s show');
    return out
      .split('\n')
      .filter((line) => line.includes(`${bareJid}/`))
      .map((line) => /\b(active|inactive|flushing)\b/.exec(line)?.[1] ?? 'unknown');
  }

  /** SIGKILL and restart on the same ports and data (for survival tests). */
  async kill(): Promise<void> {
    await killChild(this.proc);
    this.proc = null;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await stopChild(this.proc, 3000);
    this.proc = null;
    await rm(this.dir, { recursive: true, force: true });
  }
}
