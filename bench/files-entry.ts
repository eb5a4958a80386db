/** Browser entry for the file-encryption benchmark: bundled by bench/files.ts and run inside Chromium. */
import { decryptFile, encryptFile } from '../client/files/aesgcm.js';

interface Row {
  mb: number;
  encryptMBs: number;
  decryptMBs: number;
  /** The floor: one bare WebCrypto AES-256-GCM call over the same bytes, in the same page. */
  rawEncryptMBs: number;
  rawDecryptMBs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median MB/s of `rounds` encryptions and decryptions of `mb` MiB, with the module the tab uses and bare WebCrypto. */
async function run(sizesMb: number[], rounds: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const mb of sizesMb) {
    const plain = new Uint8Array(mb * 1024 * 1024);
    for (let at = 0; at < plain.length; at += 65536) crypto.getRandomValues(plain.subarray(at, Math.min(plain.length, at + 65536)));
    const enc: number[] = [];
    const dec: number[] = [];
    const rawEnc: number[] = [];
    const rawDec: number[] = [];
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const sealed = await encryptFile(plain);
      const t1 = performance.now();
      const back = await decryptFile(sealed.bytes, sealed.iv, sealed.key);
      const t2 = performance.now();
      if (back.length !== plain.length) throw new Error('round trip failed');
      enc.push(t1 - t0);
      dec.push(t2 - t1);
      // Alternated with the module's round, so both see the same moments of a busy machine.
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const r0 = performance.now();
      const raw = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain);
      const r1 = performance.now();
      const rawBack = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, raw);
      const r2 = performance.now();
      if (rawBack.byteLength !== plain.length) throw new Error('raw round trip failed');
      rawEnc.push(r1 - r0);
      rawDec.push(r2 - r1);
    }
    const rate = (xs: number[]) => mb / (median(xs) / 1000);
    rows.push({ mb, encryptMBs: rate(enc), decryptMBs: rate(dec), rawEncryptMBs: rate(rawEnc), rawDecryptMBs: rate(rawDec) });
  }
  return rows;
}

(globalThis as unknown as { runBench: () => unknown }).runBench = () => run([1, 10, 50], 5);
