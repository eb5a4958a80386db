/**
 * Runs a bench entry inside headless Chromium: the entry (which defines globalThis.runBench) is bundled with esbuild,
 * served from a throwaway loopback server (127.0.0.1 over http is a secure context, so WebCrypto works) and its
 * runBench() result returned.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser } from '../test/harness/browser.js';

export async function runInChromium<T>(entry: URL): Promise<T> {
  const bundle = await build({ entryPoints: [fileURLToPath(entry)], bundle: true, platform: 'browser', format: 'iife', target: 'es2022', write: false, logLevel: 'silent' });
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
    return (await page.evaluate(() => (globalThis as unknown as { runBench: () => Promise<unknown> }).runBench())) as T;
  } finally {
    await browser.close();
    server.close();
  }
}
