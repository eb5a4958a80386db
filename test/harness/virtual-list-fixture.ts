/**
 * The VirtualList fixture page (test/fixtures/virtual-list/) bundled with esbuild like the client (scripts/build-client.mjs:
 * ESM, splitting, minified, es2022) into a temporary directory, and served by a tiny HTTP server under Parley's strict
 * CSP, with public/app.css. Used by test/e2e/virtual-list.test.ts and bench/client.ts.
 */
import http from 'node:http';
import path from 'node:path';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtureDir = path.join(root, 'test', 'fixtures', 'virtual-list');
export const FIXTURE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'";

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.map': 'application/json' };

export interface FixtureServer {
  /** The page; add a query such as ?kind=messages&n=100000. */
  url: string;
  close(): Promise<void>;
}

export async function startVirtualListFixture(): Promise<FixtureServer> {
  const outdir = await mkdtemp(path.join(tmpdir(), 'parley-vlist-'));
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { fixture: 'test/fixtures/virtual-list/fixture.tsx' },
    outdir,
    bundle: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const files: Record<string, string> = {
    '/': path.join(fixtureDir, 'index.html'),
    '/fixture.css': path.join(fixtureDir, 'fixture.css'),
    '/app.css': path.join(root, 'public', 'app.css'),
  };
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://fixture').pathname;
    const file = files[pathname] ?? (/^\/[\w/.-]+\.(js|map)$/.test(pathname) && !pathname.includes('..') ? path.join(outdir, pathname) : null);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': FIXTURE_CSP, 'cache-control': 'no-store' });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(outdir, { recursive: true, force: true });
    },
  };
}
