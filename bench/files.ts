/**
 * Encrypted files (XEP-0454): AES-256-GCM throughput of client/files/aesgcm.ts (the tab's own module) inside
 * headless Chromium, bundled and served from a throwaway server as the OMEMO section does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser } from '../test/harness/browser.js';

export async function benchFiles(report: (line: string) => void): Promise<void> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./files-entry.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  const server = http.createServer((req, res) => {
    if (req.url === '/bench.js') {
      res.setHeader('content-type', 'text/javascript');
      return res.end(js);
    }
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><script src="/bench.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext()).newPage();
    // WebCrypto needs a secure context: 127.0.0.1 over http is one.
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const rows = (await page.evaluate(() => (globalThis as unknown as { runBench: () => Promise<unknown> }).runBench())) as { mb: number; encryptMBs: number; decryptMBs: number }[];
    for (const r of rows) {
      report(`AES-256-GCM file of ${r.mb} MB in Chromium (median of 5): encrypt ${r.encryptMBs.toFixed(0)} MB/s, decrypt ${r.decryptMBs.toFixed(0)} MB/s`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}
