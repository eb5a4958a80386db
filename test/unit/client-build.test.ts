/** server/http/client-build.ts: the app page's build id and the chunks it names for modulepreload, from build.json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Request, Response } from 'express';
import { clientBuild } from '../../server/http/client-build.js';

async function locals(publicDir: string): Promise<Record<string, unknown>> {
  const res = { locals: {} as Record<string, unknown> } as unknown as Response;
  await new Promise<void>((resolve, reject) => clientBuild(publicDir).buildIdLocal({} as Request, res, (err?: unknown) => (err ? reject(err) : resolve())));
  return res.locals;
}

test('only paths of the build’s own chunks are named for modulepreload; no build.json, no preloads', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'client-build-'));
  try {
    assert.deepEqual(await locals(dir), { buildId: null, modulePreload: [] });
    await mkdir(path.join(dir, 'build'));
    const modulePreload = ['/assets/build/chunks/chunk-ABC123.js', '/assets/build/chunks/x.js"><script>alert(1)</script>', 'https://evil.example/x.js', '/assets/build/chunks/../../secret.js', 42];
    await writeFile(path.join(dir, 'build', 'build.json'), JSON.stringify({ version: 'v1', precache: [], modulePreload }));
    assert.deepEqual(await locals(dir), { buildId: 'v1', modulePreload: ['/assets/build/chunks/chunk-ABC123.js'] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a build.json of an older build (no modulePreload) still gives its id', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'client-build-'));
  try {
    await mkdir(path.join(dir, 'build'));
    await writeFile(path.join(dir, 'build', 'build.json'), JSON.stringify({ version: 'old', precache: [] }));
    assert.deepEqual(await locals(dir), { buildId: 'old', modulePreload: [] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
