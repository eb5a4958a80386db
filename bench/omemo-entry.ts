/** Browser entry for the OMEMO benchmark: bundled by bench/omemo.ts and run inside Chromium. */
import { benchOmemoCore } from '../client/omemo/bench-core.js';

(globalThis as unknown as { runBench: () => unknown }).runBench = () => benchOmemoCore({ keyGenRounds: 7, firstRounds: 7, establishedRounds: 30 });
