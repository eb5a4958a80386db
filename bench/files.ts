/**
 * Encrypted files (XEP-0454): AES-256-GCM throughput of client/files/aesgcm.ts (the tab's own module) inside
 * headless Chromium, run through bench/in-chromium.ts as the OMEMO section is, beside bare WebCrypto on the same bytes.
 */
import { runInChromium } from './in-chromium.js';
import type { Reporter } from './report.js';

export async function benchFiles(report: Reporter): Promise<void> {
  const rows = await runInChromium<{ mb: number; encryptMBs: number; decryptMBs: number; rawEncryptMBs: number; rawDecryptMBs: number }[]>(
    new URL('./files-entry.ts', import.meta.url),
  );
  rows.forEach((r, i) => {
    const note = i === 0 ? 'median of 5 in Chromium (higher is better); raw: one bare crypto.subtle AES-256-GCM call over the same bytes in the same page, alternated' : undefined;
    report.figure({ name: `AES-256-GCM encrypt, ${r.mb} MB file`, unit: 'MB/s', parley: r.encryptMBs, raw: r.rawEncryptMBs, ...(note ? { note } : {}) });
    report.figure({ name: `AES-256-GCM decrypt, ${r.mb} MB file`, unit: 'MB/s', parley: r.decryptMBs, raw: r.rawDecryptMBs });
  });
}
