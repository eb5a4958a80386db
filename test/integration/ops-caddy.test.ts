/**
 * docs/deploy/Caddyfile in front of a real Parley (Caddy from Debian's `caddy`, run in the foreground on a free
 * loopback port, plain HTTP instead of the file's automatic HTTPS): everything a tab needs works through it, and
 * the machine-only routes stay hidden.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestStack } from '../harness/parley.js';
import { assertParleyWorksThrough } from '../harness/proxy-checks.js';
import { freePort, waitForPort } from '../harness/ports.js';
import { ROOT_DIR } from '../../server/app/parley.js';

const CADDY = '/usr/bin/caddy';
let stack: TestStack;
let caddyPort: number;
let dir: string;
let caddy: ChildProcess | null = null;

/** The deploy file with its site served as plain HTTP on `listenPort` and the upstream pointed at Parley. */
function testSite(parleyPort: number, listenPort: number): string {
  let conf = readFileSync(path.join(ROOT_DIR, 'docs/deploy/Caddyfile'), 'utf8');
  const replace = (from: RegExp, to: string) => {
    assert.match(conf, from, `docs/deploy/Caddyfile no longer has ${from}`);
    conf = conf.replace(from, to);
  };
  replace(/^chat\.example\.org \{/m, `http://127.0.0.1:${listenPort} {`);
  replace(/reverse_proxy 127\.0\.0\.1:8080/, `reverse_proxy 127.0.0.1:${parleyPort}`);
  // No admin endpoint, no certificates, all state in the temp dir.
  return `{\n\tadmin off\n\tauto_https off\n\tstorage file_system ${dir}/data\n}\n\n${conf}`;
}

before(async () => {
  const version = spawnSync(CADDY, ['version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, 'caddy is not installed: apt-get install caddy (scripts/test.sh does this as root)');
  caddyPort = await freePort();
  dir = mkdtempSync(path.join(tmpdir(), 'parley-caddy-'));
  stack = await TestStack.start({ env: { PARLEY_PUBLIC_URL: `http://127.0.0.1:${caddyPort}` } });
  const file = path.join(dir, 'Caddyfile');
  writeFileSync(file, testSite(Number(new URL(stack.url).port), caddyPort));
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: `${dir}/data`, XDG_CONFIG_HOME: `${dir}/config` };
  const valid = spawnSync(CADDY, ['validate', '--config', file, '--adapter', 'caddyfile'], { encoding: 'utf8', env });
  assert.equal(valid.status, 0, `caddy validate: ${valid.stderr}`);
  const proc = spawn(CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-5000)));
  caddy = proc;
  await waitForPort(caddyPort).catch((err: Error) => {
    throw new Error(`${err.message}\ncaddy said: ${stderr}`);
  });
});

after(async () => {
  const proc = caddy;
  if (proc && proc.exitCode === null) {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  }
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('through docs/deploy/Caddyfile: /healthz, the WebSocket upgrade and a login work; /metrics stays private', async () => {
  await assertParleyWorksThrough(stack, new URL(`http://127.0.0.1:${caddyPort}`), 'Caddy');
});
