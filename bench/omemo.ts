/**
 * OMEMO figures (issue "every tab is its own OMEMO device"), measured where they matter: inside headless Chromium,
 * with its WebCrypto and real IndexedDB. The core's own timing function is bundled and served from a throwaway server.
 */
import type { OmemoBenchResult } from '../client/omemo/bench-core.js';
import { ms } from './stats.js';
import { runInChromium } from './in-chromium.js';

export async function benchOmemo(report: (line: string) => void): Promise<void> {
  const r = await runInChromium<OmemoBenchResult>(new URL('./omemo-entry.ts', import.meta.url));
  report(`key generation in Chromium (identity + signed prekey + 100 one-time prekeys, stored): ${ms(r.keyGeneration100)}`);
  report(`first message (X3DH) to 1 device: encrypt ${ms(r.firstMessage1.encrypt)}, decrypt ${ms(r.firstMessage1.decrypt)}`);
  report(`first message to 10 devices: encrypt ${ms(r.firstMessage10.encrypt)}, decrypt ${ms(r.firstMessage10.decryptPerDevice)} per device`);
  report(`established session, 1 device: encrypt ${ms(r.established1.encrypt)}, decrypt ${ms(r.established1.decrypt)}`);
  report(`established sessions, 10 devices: encrypt ${ms(r.established10.encrypt)}, decrypt ${ms(r.established10.decryptPerDevice)} per device`);
}
