#!/usr/bin/env node
/**
 * Bundles the browser code: client/app/main.ts -> public/build/app.js (+ chunks). Splitting is on so a
 * dynamic `import()` (the OMEMO layer) becomes its own chunk and the first paint does not wait for it.
 * Then the service worker (client/sw/sw.ts -> public/build/sw.js, served at /sw.js), which gets this build's id and
 * its shell assets to precache; build.json tells the server the id and the chunks app.js imports statically (it renders
 * both into the shell page).
 * Usage: node scripts/build-client.mjs [--watch]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'public', 'build');
const watch = process.argv.includes('--watch');

/**
 * long.js (pulled in by protobufjs for the OMEMO layer) tries to compile a tiny WebAssembly module for 64-bit
 * multiplication, inside a try/catch with a plain-JS fallback. Our CSP (script-src 'self', no 'wasm-unsafe-eval')
 * blocks that, and Chromium reports a CSP violation at every start. The bundle makes the attempt fail before it asks
 * the browser, so long.js takes its fallback quietly and the CSP stays without any eval.
 */
const noWasmInLong = {
  name: 'no-wasm-in-long',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]long[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('WebAssembly')) return undefined;
      const patched = source.replaceAll('new WebAssembly.Module(', '((() => { throw new Error("no WebAssembly under this CSP"); })())(');
      if (patched.includes('new WebAssembly.Module(')) throw new Error(`could not patch ${args.path}`);
      return { contents: patched, loader: 'js' };
    });
  },
};

/** @type {esbuild.BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: { app: 'client/app/main.tsx' },
  outdir,
  bundle: true,
  format: 'esm',
  splitting: true,
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  metafile: true,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [noWasmInLong],
};

/**
 * The shell assets a reload needs before it paints: app.js and the chunks it imports statically, the stylesheet, the
 * icons and the manifest. The lazy chunks (OMEMO, security panel: most of the bytes) are not in it; the worker caches
 * each on first use instead.
 */
async function shellAssets(metafile) {
  const urlOf = (file) => `/assets/${path.relative(path.join(root, 'public'), path.resolve(root, file)).split(path.sep).join('/')}`;
  const scripts = new Set();
  const visit = (file) => {
    if (scripts.has(file)) return;
    scripts.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  const entry = Object.keys(metafile.outputs).find((file) => metafile.outputs[file].entryPoint === options.entryPoints.app);
  if (!entry) throw new Error(`no output for ${options.entryPoints.app} in the metafile`);
  visit(entry);
  const icons = (await readdir(path.join(root, 'public', 'icons'))).filter((f) => f.endsWith('.png')).sort();
  return [
    ...[...scripts].map(urlOf),
    '/assets/app.css',
    '/assets/favicon.svg',
    '/assets/manifest.webmanifest',
    ...icons.map((f) => `/assets/icons/${f}`),
  ];
}

/**
 * The build's id: a hash of every precached file, the shell page's templates and the worker's own source. A change
 * to any of them is a new version, which the open pages offer to load.
 */
async function buildVersion(precache) {
  const hash = createHash('sha256');
  const views = (await readdir(path.join(root, 'views', 'partials'))).map((f) => `views/partials/${f}`);
  const sw = (await readdir(path.join(root, 'client', 'sw'))).map((f) => `client/sw/${f}`);
  const files = [...precache.map((url) => path.join('public', url.slice('/assets/'.length))), 'views/app.ejs', ...views, ...sw].sort();
  for (const file of files) hash.update(`${file}\0`).update(await readFile(path.join(root, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** public/build/sw.js and public/build/build.json for the app build described by `metafile`. */
async function buildServiceWorker(metafile) {
  const precache = await shellAssets(metafile);
  const version = await buildVersion(precache);
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['client/sw/sw.ts'],
    outfile: path.join(outdir, 'sw.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: { __PARLEY_SW__: JSON.stringify({ version, precache }) },
  });
  let bytes = 0;
  for (const url of precache) bytes += (await readFile(path.join(root, 'public', url.slice('/assets/'.length)))).length;
  // The chunks app.js imports statically: the shell page names them (modulepreload) so they load beside app.js, not after it.
  const modulePreload = precache.filter((url) => url.startsWith('/assets/build/chunks/') && url.endsWith('.js'));
  await writeFile(path.join(outdir, 'build.json'), `${JSON.stringify({ version, precache, precacheBytes: bytes, modulePreload }, null, 2)}\n`);
  console.log(`  service worker: build ${version}, ${precache.length} shell files precached (${(bytes / 1024).toFixed(1)} KiB)`);
}

function summary(metafile) {
  const rows = Object.entries(metafile.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .map(([file, out]) => [path.relative(root, path.resolve(root, file)), out.bytes]);
  const total = rows.reduce((n, [, bytes]) => n + bytes, 0);
  const width = Math.max(...rows.map(([f]) => f.length));
  for (const [file, bytes] of rows) console.log(`  ${file.padEnd(width)}  ${(bytes / 1024).toFixed(1).padStart(7)} KiB`);
  console.log(`  ${'total'.padEnd(width)}  ${(total / 1024).toFixed(1).padStart(7)} KiB`);
}

if (watch) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [
      noWasmInLong,
      {
        name: 'summary',
        setup: (b) =>
          b.onEnd(async (r) => {
            if (!r.metafile) return;
            console.log(`[${new Date().toLocaleTimeString()}] built`);
            summary(r.metafile);
            await buildServiceWorker(r.metafile);
          }),
      },
    ],
  });
  await ctx.watch();
  console.log('watching client/ for changes…');
} else {
  await rm(outdir, { recursive: true, force: true });
  const started = performance.now();
  const result = await esbuild.build(options);
  console.log(`client bundle built in ${Math.round(performance.now() - started)} ms:`);
  summary(result.metafile);
  await buildServiceWorker(result.metafile);
}
