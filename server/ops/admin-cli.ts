/**
 * `npm run admin -- <command>`. promote/demote/admins work on the database; sessions/end/settings/set ask the running
 * instance (its sessions and live configuration are in its memory) through the loopback admin API with the admin token.
 */
import type { Config } from '../app/config.js';
import { AdminDirectory, parseBareJid } from './admins.js';
import { readAdminToken } from './admin-token.js';
import { openDoctorDatabase } from './doctor.js';
import type { LiveSessionView } from './live-sessions.js';
import type { RuntimeSetting } from './runtime-settings.js';

export const ADMIN_USAGE = `usage: npm run admin -- <command>
  sessions          list the live sessions of the running instance
  end JID           end JID's session: XMPP logout, its tabs go to the login page
  settings          list the settings the running instance can change without a restart
  set NAME VALUE    change one of them until the next restart (e.g. set PARLEY_MAX_SESSIONS 500)
  promote JID       give JID access to /admin
  demote JID        take it back (PARLEY_ADMINS entries stay admins)
  admins            list the admins`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** Where the running instance listens, seen from this machine. */
export function instanceUrl(config: Pick<Config, 'host' | 'port'>): string {
  const host = config.host === '0.0.0.0' || config.host === '' ? '127.0.0.1' : config.host === '::' ? '[::1]' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

export async function runAdminCli(argv: string[], config: Config, io: CliIo): Promise<number> {
  const [command, arg, value] = argv;
  switch (command) {
    case 'sessions':
    case 'end':
      return callInstance(command, arg, config, io);
    case 'settings':
    case 'set':
      return settingsOnInstance(command, arg, value, config, io);
    case 'promote':
    case 'demote':
    case 'admins':
      return onDatabase(command, arg, config, io);
    default:
      io.err(ADMIN_USAGE);
      return 2;
  }
}

async function onDatabase(command: 'promote' | 'demote' | 'admins', arg: string | undefined, config: Config, io: CliIo): Promise<number> {
  const jid = parseBareJid(arg);
  if (command !== 'admins' && !jid) {
    io.err(`${command} needs a bare XMPP address: npm run admin -- ${command} user@example.org`);
    return 2;
  }
  const db = await openDoctorDatabase(config);
  if ('ok' in db) {
    io.err(`${db.detail}: ${db.fix}`);
    return 1;
  }
  try {
    const admins = new AdminDirectory(db.client, config.admins);
    if (command === 'promote') {
      await admins.promote(jid!);
      io.out(`${jid} is an admin now (/admin).`);
    } else if (command === 'demote') {
      const changed = await admins.demote(jid!);
      if (admins.isConfigured(jid!)) io.out(`${jid} stays an admin: it is listed in PARLEY_ADMINS; remove it there and restart.`);
      else io.out(changed ? `${jid} is no longer an admin.` : `${jid} was not a promoted admin.`);
    } else {
      const list = await admins.list();
      if (list.length === 0) io.out('No admins. Add one: npm run admin -- promote user@example.org (or PARLEY_ADMINS).');
      for (const a of list) io.out(`${a.jid}\t${a.source}`);
    }
    return 0;
  } catch (err) {
    io.err(`database: ${(err as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

async function callInstance(command: 'sessions' | 'end', arg: string | undefined, config: Config, io: CliIo): Promise<number> {
  const jid = parseBareJid(arg);
  if (command === 'end' && !jid) {
    io.err('end needs a bare XMPP address: npm run admin -- end user@example.org');
    return 2;
  }
  const answer = await askInstance<{ sessions?: LiveSessionView[]; ended?: string; error?: string }>(
    config,
    io,
    command === 'end' ? { method: 'POST', path: 'sessions/end', body: { jid } } : { method: 'GET', path: 'sessions' },
  );
  if (!answer) return 1;
  const { res, body } = answer;
  if (!res.ok) {
    io.err(res.status === 404 && !body.error?.includes('live session') ? tokenRefused(config) : `${res.status}: ${body.error ?? 'failed'}`);
    return 1;
  }
  if (command === 'end') {
    io.out(`Ended the session of ${body.ended}; its tabs were sent to the login page.`);
    return 0;
  }
  const sessions = body.sessions ?? [];
  if (sessions.length === 0) io.out('No live sessions.');
  for (const s of sessions) io.out(`${s.jid}\ttabs=${s.tabs}\tsince=${s.since}\txmpp=${s.state}`);
  return 0;
}

async function settingsOnInstance(command: 'settings' | 'set', name: string | undefined, value: string | undefined, config: Config, io: CliIo): Promise<number> {
  if (command === 'set' && (!name || value === undefined)) {
    io.err('set needs a name and a value: npm run admin -- set PARLEY_MAX_SESSIONS 500 (npm run admin -- settings lists the names)');
    return 2;
  }
  const answer = await askInstance<{ settings?: RuntimeSetting[]; setting?: RuntimeSetting; previous?: string; error?: string }>(
    config,
    io,
    command === 'set' ? { method: 'POST', path: 'settings', body: { name, value } } : { method: 'GET', path: 'settings' },
  );
  if (!answer) return 1;
  const { res, body } = answer;
  if (!res.ok) {
    io.err(res.status === 404 ? tokenRefused(config) : `${res.status}: ${body.error ?? 'failed'}`);
    return res.status === 400 ? 2 : 1;
  }
  if (body.setting) {
    io.out(`${body.setting.name}: ${body.previous} -> ${body.setting.value} (${body.setting.effect}), until the next restart; set it in the environment to keep it.`);
    return 0;
  }
  for (const s of body.settings ?? []) io.out(`${s.name}\t${s.value}\t${s.effect}`);
  return 0;
}

function tokenRefused(config: Config): string {
  return `the instance at ${instanceUrl(config)} refused the admin token: run this as the user Parley runs as, with the same PARLEY_DATA_DIR / PARLEY_ADMIN_TOKEN`;
}

/** One call to the loopback admin API; null (after saying why) when there is no token or no instance. */
async function askInstance<T>(config: Config, io: CliIo, call: { method: 'GET' | 'POST'; path: string; body?: unknown }): Promise<{ res: Response; body: T } | null> {
  const token = readAdminToken(config);
  const base = instanceUrl(config);
  if (!token) {
    io.err(`no admin token: Parley has not run with PARLEY_DATA_DIR=${config.dataDir} yet (or set PARLEY_ADMIN_TOKEN as for the instance)`);
    return null;
  }
  let res: Response;
  try {
    res = await fetch(`${base}/admin/api/${call.path}`, {
      method: call.method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    io.err(`cannot reach the running Parley at ${base} (${code}): is it running, with the same PARLEY_HOST and PORT?`);
    return null;
  }
  return { res, body: (await res.json().catch(() => ({}))) as T };
}
