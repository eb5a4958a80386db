#!/usr/bin/env node
/**
 * Bundles the browser code: client/app/main.ts -> public/build/app.js (+ chunks). Splitting is on so a
 * dynamic `import()` (the OMEMO layer) becomes its own chunk and the first paint does not wait for it.
 * Usage: node scripts/build-client.mjs [--watch]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile, rm } from 'node:fs/promises';
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
    plugins: [noWasmInLong, { name: 'summary', setup: (b) => b.onEnd((r) => r.metafile && (console.log(`[${new Date().toLocaleTimeString()}] built`), summary(r.metafile))) }],
  });
  await ctx.watch();
  console.log('watching client/ for changes…');
} else {
  await rm(outdir, { recursive: true, force: true });
  const started = performance.now();
  const result = await esbuild.build(options);
  console.log(`client bundle built in ${Math.round(performance.now() - started)} ms:`);
  summary(result.metafile);
}
