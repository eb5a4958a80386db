/**
 * OMEMO figures (issue "every tab is its own OMEMO device"), measured where they matter: inside headless Chromium,
 * with its WebCrypto and real IndexedDB. The core's own timing function is bundled and served from a throwaway server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser } from '../test/harness/browser.js';
import type { OmemoBenchResult } from '../client/omemo/bench-core.js';
import { ms } from './stats.js';

export async function benchOmemo(report: (line: string) => void): Promise<void> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./omemo-entry.ts', import.meta.url))],
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
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const r = (await page.evaluate(() => (globalThis as unknown as { runBench: () => Promise<unknown> }).runBench())) as OmemoBenchResult;
    report(`key generation in Chromium (identity + signed prekey + 100 one-time prekeys, stored): ${ms(r.keyGeneration100)}`);
    report(`first message (X3DH) to 1 device: encrypt ${ms(r.firstMessage1.encrypt)}, decrypt ${ms(r.firstMessage1.decrypt)}`);
    report(`first message to 10 devices: encrypt ${ms(r.firstMessage10.encrypt)}, decrypt ${ms(r.firstMessage10.decryptPerDevice)} per device`);
    report(`established session, 1 device: encrypt ${ms(r.established1.encrypt)}, decrypt ${ms(r.established1.decrypt)}`);
    report(`established sessions, 10 devices: encrypt ${ms(r.established10.encrypt)}, decrypt ${ms(r.established10.decryptPerDevice)} per device`);
  } finally {
    await browser.close();
    server.close();
  }
}
