/**
 * OMEMO figures (issue "every tab is its own OMEMO device"), measured where they matter: inside headless Chromium,
 * with its WebCrypto and real IndexedDB. The core's own timing function is bundled and served from a throwaway server.
 */
import type { OmemoBenchResult } from '../client/omemo/bench-core.js';
import { runInChromium } from './in-chromium.js';
import type { Reporter } from './report.js';

export async function benchOmemo(report: Reporter): Promise<void> {
  const r = await runInChromium<OmemoBenchResult>(new URL('./omemo-entry.ts', import.meta.url));
  const figure = (name: string, parley: number, note?: string) => report.figure({ name, unit: 'ms', parley, raw: null, ...(note ? { note } : {}) });
  figure(
    'key generation (identity + signed prekey + 100 one-time prekeys, stored)',
    r.keyGeneration100,
    `medians in Chromium (${r.rounds.keyGeneration} / ${r.rounds.first} / ${r.rounds.established} rounds); no raw floor: OMEMO lives only in the tab, there is no XMPP-only path to compare with`,
  );
  figure('first message (X3DH) to 1 device: encrypt', r.firstMessage1.encrypt);
  figure('first message (X3DH) to 1 device: decrypt', r.firstMessage1.decrypt);
  figure('first message to 10 devices: encrypt', r.firstMessage10.encrypt);
  figure('first message to 10 devices: decrypt per device', r.firstMessage10.decryptPerDevice);
  figure('established session, 1 device: encrypt', r.established1.encrypt);
  figure('established session, 1 device: decrypt', r.established1.decrypt);
  figure('established sessions, 10 devices: encrypt', r.established10.encrypt);
  figure('established sessions, 10 devices: decrypt per device', r.established10.decryptPerDevice);
}
