#!/usr/bin/env node
/**
 * Draws the app icons (public/icons/*.png) from the shapes of public/favicon.svg: the indigo tile, the white speech
 * bubble and its three dots. The PNGs are committed (the production build has no devDependencies); a unit test
 * regenerates them and compares, so they cannot drift from this script.
 * Usage: node scripts/generate-icons.mjs
 */
import path from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ICONS_DIR = path.join(root, 'public', 'icons');

const INDIGO = [0x4f, 0x46, 0xe5];
const WHITE = [0xff, 0xff, 0xff];

/** Inside a rounded rectangle (x, y, w, h, corner radius r)? */
function inRoundRect(px, py, x, y, w, h, r) {
  if (px < x || py < y || px > x + w || py > y + h) return false;
  const cx = Math.min(Math.max(px, x + r), x + w - r);
  const cy = Math.min(Math.max(py, y + r), y + h - r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= r * r;
}

/** Inside the triangle a-b-c (any winding)? */
function inTriangle(px, py, [ax, ay], [bx, by], [cx, cy]) {
  const d1 = (px - bx) * (ay - by) - (ax - bx) * (py - by);
  const d2 = (px - cx) * (by - cy) - (bx - cx) * (py - cy);
  const d3 = (px - ax) * (cy - ay) - (cx - ax) * (py - ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

/**
 * The colour at a point of the favicon's 64×64 canvas, or null outside the tile. `fullBleed`: the tile fills the
 * square (maskable icons are cut to a shape by the platform, so they need no corners of their own).
 */
function colourAt(x, y, fullBleed) {
  const dot = [25, 32, 39].some((cx) => (x - cx) ** 2 + (y - 32) ** 2 <= 9);
  // favicon.svg: bubble = rect 12..52 × 20..44 with radius 6, tail from (22,44) down to (22,52) and back to (32,44).
  const bubble = inRoundRect(x, y, 12, 20, 40, 24, 6) || inTriangle(x, y, [22, 43], [22, 52], [32, 43]);
  if (bubble) return dot ? INDIGO : WHITE;
  if (fullBleed || inRoundRect(x, y, 0, 0, 64, 64, 16)) return INDIGO;
  return null;
}

/**
 * One icon as PNG bytes: `size` pixels square, 4×4 samples a pixel. A maskable icon's drawing must stay inside the
 * central safe zone (a circle of 80 % of the width): the favicon's bubble already does (its farthest point is 24 of
 * 25.6 units from the centre), so only the tile's corners go.
 */
export function renderIcon(size, { maskable = false } = {}) {
  const png = new PNG({ width: size, height: size });
  const samples = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = ((px + (sx + 0.5) / samples) / size) * 64;
          const y = ((py + (sy + 0.5) / samples) / size) * 64;
          const c = colourAt(x, y, maskable);
          if (!c) continue;
          r += c[0]; g += c[1]; b += c[2]; a += 1;
        }
      }
      const i = (py * size + px) * 4;
      // Colours are averaged over the covered samples only; coverage becomes the alpha (no dark fringe at the edge).
      png.data[i] = a ? Math.round(r / a) : 0;
      png.data[i + 1] = a ? Math.round(g / a) : 0;
      png.data[i + 2] = a ? Math.round(b / a) : 0;
      png.data[i + 3] = Math.round((a / (samples * samples)) * 255);
    }
  }
  return PNG.sync.write(png, { colorType: 6 });
}

/** Every icon the manifest names, by file name. */
export function renderIcons() {
  return new Map([
    ['icon-192.png', renderIcon(192)],
    ['icon-512.png', renderIcon(512)],
    ['icon-maskable-512.png', renderIcon(512, { maskable: true })],
  ]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await mkdir(ICONS_DIR, { recursive: true });
  for (const [name, bytes] of renderIcons()) {
    await writeFile(path.join(ICONS_DIR, name), bytes);
    console.log(`  public/icons/${name}  ${(bytes.length / 1024).toFixed(1)} KiB`);
  }
}
