/**
 * XEP-0392 (Consistent Color Generation) §5.1: the hue angle of a string is the first 16 bits of its SHA-1, read
 * little-endian, scaled to 0–360°. The lightness is a fixed HSL value here (the XEP's HSLuv, approximated).
 * SHA-1 is computed synchronously (WebCrypto is async and avatars render synchronously); it is short strings only.
 */

function sha1(bytes: Uint8Array): Uint8Array {
  const ml = bytes.length * 8;
  const padded = new Uint8Array((((bytes.length + 8) >> 6) + 1) << 6);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 4, ml >>> 0);
  view.setUint32(padded.length - 8, Math.floor(ml / 2 ** 32));
  let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let i = 0; i < 80; i++) {
      const f = i < 20 ? (b & c) | (~b & d) : i < 40 ? b ^ c ^ d : i < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc : 0xca62c1d6;
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) >>> 0; h1 = (h1 + b) >>> 0; h2 = (h2 + c) >>> 0; h3 = (h3 + d) >>> 0; h4 = (h4 + e) >>> 0;
  }
  const out = new Uint8Array(20);
  const ov = new DataView(out.buffer);
  [h0, h1, h2, h3, h4].forEach((h, i) => ov.setUint32(i * 4, h));
  return out;
}

export function sha1Hex(text: string): string {
  return [...sha1(new TextEncoder().encode(text))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** XEP-0392 §5.1: the hue angle in degrees, [0, 360). */
export function hueAngle(text: string): number {
  const h = sha1(new TextEncoder().encode(text));
  return ((h[0]! | (h[1]! << 8)) / 65536) * 360;
}

/** The letter avatar's background: the hue of the bare JID, a fixed saturation and lightness readable with white text. */
export function avatarColour(jid: string): string {
  return `hsl(${hueAngle(jid).toFixed(1)}, 60%, 38%)`;
}
