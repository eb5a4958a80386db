/**
 * The client build as the server sees it: /sw.js (the service worker, from public/build/sw.js) and the build's id
 * (public/build/build.json), which the shell page carries so the worker keeps only shells of its own build.
 * Both are read from disk when they change, so a client rebuilt in place is served at once.
 */
import path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import type { RequestHandler } from 'express';

export interface ClientBuild {
  /** GET /sw.js: never taken from the HTTP cache, so an update check always sees the deployed worker. */
  serviceWorker: RequestHandler;
  /** Sets res.locals.buildId (views/partials/head.ejs renders it) for the app page. */
  buildIdLocal: RequestHandler;
}

export function clientBuild(publicDir: string): ClientBuild {
  const buildDir = path.join(publicDir, 'build');
  const buildJson = path.join(buildDir, 'build.json');
  let known: { mtimeMs: number; id: string | null } | null = null;

  const buildId = async (): Promise<string | null> => {
    const mtimeMs = await stat(buildJson).then((s) => s.mtimeMs, () => -1);
    if (known?.mtimeMs !== mtimeMs) {
      const id = mtimeMs < 0 ? null : (JSON.parse(await readFile(buildJson, 'utf8')) as { version?: unknown }).version;
      known = { mtimeMs, id: typeof id === 'string' ? id : null };
    }
    return known.id;
  };

  return {
    serviceWorker: (_req, res) => {
      res.sendFile(
        'sw.js',
        { root: buildDir, cacheControl: false, headers: { 'Cache-Control': 'no-cache', 'Content-Type': 'text/javascript; charset=utf-8' } },
        (err) => {
          if (err && !res.headersSent) res.status(404).type('text/plain').send('No client build: run `npm run build`.');
        },
      );
    },
    buildIdLocal: (_req, res, next) => {
      buildId().then((id) => {
        res.locals.buildId = id;
        next();
      }, next);
    },
  };
}
