/** Browser entry for the file-encryption benchmark: bundled by bench/files.ts and run inside Chromium. */
import { decryptFile, encryptFile } from '../client/files/aesgcm.js';

interface Row {
  mb: number;
  encryptMBs: number;
  decryptMBs: number;
}

/** Median MB/s of `rounds` encryptions and decryptions of `mb` MiB, with the module the tab uses. */
async function run(sizesMb: number[], rounds: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const mb of sizesMb) {
    const plain = new Uint8Array(mb * 1024 * 1024);
    for (let at = 0; at < plain.length; at += 65536) crypto.getRandomValues(plain.subarray(at, Math.min(plain.length, at + 65536)));
    const enc: number[] = [];
    const dec: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const sealed = await encryptFile(plain);
      const t1 = performance.now();
      const back = await decryptFile(sealed.bytes, sealed.iv, sealed.key);
      const t2 = performance.now();
      if (back.length !== plain.length) throw new Error('round trip failed');
      enc.push(t1 - t0);
      dec.push(t2 - t1);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    rows.push({ mb, encryptMBs: mb / (median(enc) / 1000), decryptMBs: mb / (median(dec) / 1000) });
  }
  return rows;
}

(globalThis as unknown as { runBench: () => unknown }).runBench = () => run([1, 10, 50], 5);
