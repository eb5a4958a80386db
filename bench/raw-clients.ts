/**
 * The raw floor for logins and idle memory: a separate Node process holding plain XMPP connections (the XmppConnection
 * Parley composes from @xmpp/*, native-pbkdf2 SCRAM) straight to Prosody, with no Parley around them. The parent
 * gets each login's time and the process's RSS before and after, read from /proc as ParleyProcess.rss() reads Parley's.
 * Run as a child by `rawClients()`; the accounts come in on stdin as JSON.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XmppConnection } from '../server/xmpp/connection.js';

export interface RawClientsResult {
  loginMs: number[];
  rssBefore: number;
  rssAfter: number;
}

interface Job {
  service: string;
  users: { jid: string; password: string }[];
  /** logins in flight at once */
  concurrency: number;
  /** quiet time before each RSS reading */
  settleMs: number;
}

const self = fileURLToPath(import.meta.url);

/** Logs `users` in from a fresh Node process, `concurrency` at a time, holds them idle, measures, logs them out. */
export async function rawClients(job: Job): Promise<RawClientsResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', self], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  child.stdin.end(JSON.stringify(job));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`raw clients process ended with ${code}: ${err || out}`);
  return JSON.parse(line) as RawClientsResult;
}

function rss(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(0, 'utf8')) as Job;
  const settle = () => new Promise((r) => setTimeout(r, job.settleMs));
  await settle();
  const rssBefore = rss();
  const conns: XmppConnection[] = [];
  const loginMs: number[] = [];
  for (let i = 0; i < job.users.length; i += job.concurrency) {
    await Promise.all(
      job.users.slice(i, i + job.concurrency).map(async (u) => {
        const t0 = performance.now();
        conns.push(await XmppConnection.open({ jid: u.jid, password: u.password, service: job.service, requireTls: false }));
        loginMs.push(performance.now() - t0);
      }),
    );
  }
  await settle();
  const result: RawClientsResult = { loginMs, rssBefore, rssAfter: rss() };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await Promise.all(conns.map((c) => c.stop().catch(() => undefined)));
  process.exit(0);
}

if (process.argv[1] === self) await main();
