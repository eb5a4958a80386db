/**
 * An image's type and dimensions read from its first bytes (PNG IHDR, GIF logical screen, JPEG SOFn, WebP VP8/VP8L/VP8X),
 * so that a decompression bomb (a small file declaring a huge canvas) is refused before anything decodes it.
 * Pure: no DOM, tested in Node.
 */

export type ImageType = 'image/png' | 'image/gif' | 'image/jpeg' | 'image/webp';

export interface ImageHeader {
  type: ImageType;
  width: number;
  height: number;
}

/** Largest image a tab decodes: 40 megapixels (a 160 MB RGBA bitmap), and no side over 16,384 pixels. */
export const MAX_IMAGE_PIXELS = 40_000_000;
export const MAX_IMAGE_SIDE = 16_384;

/** Enough of the file to find the dimensions of every format above (JPEG: SOF after large EXIF/ICC segments). */
export const HEADER_BYTES = 256 * 1024;

export function readImageHeader(b: Uint8Array): ImageHeader | null {
  const u16be = (i: number) => (b[i]! << 8) | b[i + 1]!;
  const u16le = (i: number) => b[i]! | (b[i + 1]! << 8);
  const u24le = (i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
  const u32be = (i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
  const ascii = (i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

  // PNG: signature, then IHDR (length 13) with big-endian width and height.
  if (b.length >= 24 && ascii(1, 3) === 'PNG' && b[0] === 0x89 && ascii(12, 4) === 'IHDR') {
    return { type: 'image/png', width: u32be(16), height: u32be(20) };
  }
  if (b.length >= 10 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) {
    return { type: 'image/gif', width: u16le(6), height: u16le(8) };
  }
  if (b.length >= 30 && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') {
    const chunk = ascii(12, 4);
    if (chunk === 'VP8X') return { type: 'image/webp', width: u24le(24) + 1, height: u24le(27) + 1 };
    if (chunk === 'VP8L' && b[20] === 0x2f) {
      const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
      return { type: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
      return { type: 'image/webp', width: u16le(26) & 0x3fff, height: u16le(28) & 0x3fff };
    }
    return null;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // JPEG: walk the marker segments up to a start-of-frame (SOF0..SOF15 except DHT C4, JPG C8, DAC CC).
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return null;
      const marker = b[i + 1]!;
      if (marker === 0xff) {
        i++; // fill byte
        continue;
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2; // markers without a length
        continue;
      }
      if (marker === 0xd9 || marker === 0xda) return null; // end of image or start of scan before any frame header
      const length = u16be(i + 2);
      if (length < 2) return null;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { type: 'image/jpeg', height: u16be(i + 5), width: u16be(i + 7) };
      }
      i += 2 + length;
    }
    return null;
  }
  return null;
}

/** Why an image header is refused before decoding, or null when it may be decoded. */
export function imageRefusal(h: ImageHeader | null): 'not-an-image' | 'too-many-pixels' | null {
  if (!h || h.width < 1 || h.height < 1) return 'not-an-image';
  if (h.width > MAX_IMAGE_SIDE || h.height > MAX_IMAGE_SIDE || h.width * h.height > MAX_IMAGE_PIXELS) return 'too-many-pixels';
  return null;
}

/** Thumbnail size inside a `box` x `box` square, keeping the aspect ratio; never enlarged. */
export function thumbnailSize(width: number, height: number, box: number): { width: number; height: number } {
  const scale = Math.min(1, box / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
