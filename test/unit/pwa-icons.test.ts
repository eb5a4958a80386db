/** The committed app icons are what scripts/generate-icons.mjs draws (so they are never opaque, hand-edited binaries). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
// @ts-expect-error: a plain .mjs script without type declarations
import { ICONS_DIR, renderIcons } from '../../scripts/generate-icons.mjs';

test('public/icons/*.png match scripts/generate-icons.mjs, pixel for pixel', async () => {
  const icons = renderIcons() as Map<string, Buffer>;
  assert.equal(icons.size, 3);
  for (const [name, bytes] of icons) {
    const committed = PNG.sync.read(await readFile(path.join(ICONS_DIR as string, name)));
    const drawn = PNG.sync.read(bytes);
    assert.equal(committed.width, drawn.width, name);
    assert.ok(committed.data.equals(drawn.data), `${name} differs: run node scripts/generate-icons.mjs`);
  }
});

test('the maskable icon fills its square; the others keep the rounded tile', () => {
  const icons = renderIcons() as Map<string, Buffer>;
  const corner = (name: string) => PNG.sync.read(icons.get(name)!).data[3]; // alpha of pixel (0, 0)
  assert.equal(corner('icon-maskable-512.png'), 255);
  assert.equal(corner('icon-512.png'), 0);
  assert.equal(corner('icon-192.png'), 0);
});
