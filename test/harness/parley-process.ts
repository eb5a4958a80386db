/** Runs Parley as its own process (so its RSS can be measured apart from the load generator). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { waitForPort } from './ports.js';

export class ParleyProcess {
  private constructor(readonly proc: ChildProcess, readonly url: string) {}

  output = '';

  /** `nodeArgs`: more options for node itself (e.g. --cpu-prof, which NODE_OPTIONS does not allow). */
  static async start(env: Record<string, string>, port: number, nodeArgs: string[] = []): Promise<ParleyProcess> {
    const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), PARLEY_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new ParleyProcess(proc, `http://127.0.0.1:${port}`);
    const keep = (b: Buffer) => { p.output = (p.output + b.toString()).slice(-50_000); };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`parley exited (${code}): ${p.output}`))));
    await Promise.race([waitForPort(port, '127.0.0.1', 60_000), exited]);
    return p;
  }

  /** SIGKILL: no shutdown code runs, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await gone;
  }

  /** Resident set size in bytes, read from /proc. */
  rss(): number {
    const status = readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kb * 1024;
  }

  /** SIGTERM, as systemd stops a service: resolves with how the process ended and how long it took. */
  async terminate(timeoutMs = 15_000): Promise<{ code: number | null; signal: string | null; ms: number }> {
    const t0 = Date.now();
    const gone = new Promise<{ code: number | null; signal: string | null }>((r) => this.proc.once('exit', (code, signal) => r({ code, signal })));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const end = await gone;
    clearTimeout(timer);
    return { ...end, ms: Date.now() - t0 };
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}
