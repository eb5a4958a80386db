/**
 * A real Redis for the cluster tests: Debian's /usr/bin/redis-server on a free loopback port, nothing persisted
 * (`--save '' --appendonly no`), ready once it answers PING. It can be stopped and started again on the same port
 * (the "Redis gone" tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { killChild, stopChild } from './child-process.js';
import { freePort } from './ports.js';
import { until } from './poll.js';

const REDIS_SERVER = '/usr/bin/redis-server';

export class TestRedis {
  private proc: ChildProcess | null = null;
  output = '';

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    if (!existsSync(REDIS_SERVER)) throw new Error('redis-server is not installed: run `apt-get install redis-server`.');
    const redis = new TestRedis(await freePort());
    await redis.launch();
    return redis;
  }

  async launch(): Promise<void> {
    const proc = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const keep = (b: Buffer) => void (this.output = (this.output + b.toString()).slice(-20_000));
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    await until(async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}): ${this.output}`);
      return ping(this.port);
    }, `redis-server on port ${this.port} answers PING`, 10_000, 25);
  }

  /** SIGKILL: Redis gone at once, as in a crash. */
  async kill(): Promise<void> {
    await killChild(this.proc);
    this.proc = null;
  }

  async stop(): Promise<void> {
    await stopChild(this.proc, 3000);
    this.proc = null;
  }
}

/** One RESP PING; true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}
