/**
 * Encrypted files (XEP-0454): AES-256-GCM throughput of client/files/aesgcm.ts (the tab's own module) inside
 * headless Chromium, run through bench/in-chromium.ts as the OMEMO section is.
 */
import { runInChromium } from './in-chromium.js';

export async function benchFiles(report: (line: string) => void): Promise<void> {
  const rows = await runInChromium<{ mb: number; encryptMBs: number; decryptMBs: number }[]>(new URL('./files-entry.ts', import.meta.url));
  for (const r of rows) {
    report(`AES-256-GCM file of ${r.mb} MB in Chromium (median of 5): encrypt ${r.encryptMBs.toFixed(0)} MB/s, decrypt ${r.decryptMBs.toFixed(0)} MB/s`);
  }
}
