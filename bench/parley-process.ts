/** Runs Parley as its own process (so its RSS can be measured apart from the load generator). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { waitForPort } from '../test/harness/ports.js';

export class ParleyProcess {
  private constructor(readonly proc: ChildProcess, readonly url: string) {}

  static async start(env: Record<string, string>, port: number): Promise<ParleyProcess> {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, ...env, PORT: String(port), PARLEY_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitForPort(port, '127.0.0.1', 30_000);
    return new ParleyProcess(proc, `http://127.0.0.1:${port}`);
  }

  /** Resident set size in bytes, read from /proc. */
  rss(): number {
    const status = readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kb * 1024;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}
