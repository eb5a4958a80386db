/**
 * docs/deploy/nginx.conf in front of a real Parley (nginx from Debian's `nginx-light`, run in the foreground on a
 * free loopback port, plain HTTP instead of the file's TLS): the doctor's WebSocket check passes through it, and
 * fails with the "add the Upgrade/Connection headers" message when those two lines are taken out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestStack } from '../harness/parley.js';
import { assertParleyWorksThrough } from '../harness/proxy-checks.js';
import { freePort, waitForPort } from '../harness/ports.js';
import { ROOT_DIR } from '../../server/app/parley.js';
import { checkWebsocketUpgrade, probePublicUrl } from '../../server/ops/check-http.js';

const NGINX = '/usr/sbin/nginx';
let stack: TestStack;
let nginxPort: number;
let dir: string;
let nginx: ChildProcess | null = null;

/** The deploy file with its TLS server turned into plain HTTP on `listenPort`, and the upstream pointed at Parley. */
export function testSite(parleyPort: number, listenPort: number, opts: { dropUpgradeHeaders?: boolean } = {}): string {
  let conf = readFileSync(path.join(ROOT_DIR, 'docs/deploy/nginx.conf'), 'utf8');
  const replace = (from: RegExp, to: string) => {
    assert.match(conf, from, `docs/deploy/nginx.conf no longer has ${from}`);
    conf = conf.replace(from, to);
  };
  replace(/server 127\.0\.0\.1:8080;/, `server 127.0.0.1:${parleyPort};`);
  replace(/server \{\s*listen 80;[\s\S]*?\n\}\n/, ''); // the http -> https redirect
  replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${listenPort};`);
  replace(/^\s*listen \[::\]:443 ssl http2;\n/m, '');
  replace(/^\s*ssl_\w+ .*\n/gm, '');
  if (opts.dropUpgradeHeaders) {
    replace(/^\s*proxy_set_header Upgrade \$http_upgrade;\n/m, '');
    replace(/^\s*proxy_set_header Connection \$connection_upgrade;\n/m, '');
  }
  return conf;
}

async function startNginx(site: string): Promise<void> {
  writeFileSync(path.join(dir, 'site.conf'), site);
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`,
  );
  const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t: ${check.stderr}`);
  const proc = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  nginx = proc;
  await waitForPort(nginxPort).catch((err: Error) => {
    throw new Error(`${err.message}\nnginx said: ${stderr}`);
  });
}

async function stopNginx(): Promise<void> {
  const proc = nginx;
  nginx = null;
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM'); // nginx: fast shutdown of the master and its workers
  await exited;
}

before(async () => {
  const version = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  assert.equal(version.status, 0, 'nginx is not installed: apt-get install nginx-light (scripts/test.sh does this as root)');
  nginxPort = await freePort();
  dir = mkdtempSync(path.join(tmpdir(), 'parley-nginx-'));
  chmodSync(dir, 0o755); // workers run as nobody when the test runs as root
  stack = await TestStack.start({ env: { PARLEY_PUBLIC_URL: `http://127.0.0.1:${nginxPort}` } });
});

after(async () => {
  await stopNginx();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const parleyPort = () => Number(new URL(stack.url).port);
const publicUrl = () => new URL(`http://127.0.0.1:${nginxPort}`);

test('through docs/deploy/nginx.conf: /healthz, the WebSocket upgrade and a login work; /metrics stays private', async () => {
  await startNginx(testSite(parleyPort(), nginxPort));
  await assertParleyWorksThrough(stack, publicUrl(), 'nginx');
  await stopNginx();
});

test('without the Upgrade/Connection headers the doctor says to add them', async () => {
  await startNginx(testSite(parleyPort(), nginxPort, { dropUpgradeHeaders: true }));
  const health = await probePublicUrl(publicUrl(), 3000);
  assert.equal(health.result.ok, true, 'plain requests still work');
  const ws = await checkWebsocketUpgrade(publicUrl(), 3000);
  assert.equal(ws.ok, false);
  assert.match(ws.detail, /HTTP 400\): the proxy does not pass WebSocket upgrades/);
  assert.match(ws.fix!, /proxy_set_header Upgrade \$http_upgrade; proxy_set_header Connection "upgrade";/);
  console.log(`websocket check through nginx without upgrade headers:\nFAIL  ${ws.name}  ${ws.detail}\n      fix: ${ws.fix}`);
  await stopNginx();
});
