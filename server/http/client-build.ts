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
  /**
   * Sets res.locals.buildId (views/partials/head.ejs renders it) and res.locals.modulePreload (the chunks app.js
   * imports statically, which views/app.ejs names so they load beside app.js) for the app page.
   */
  buildIdLocal: RequestHandler;
}

interface BuildInfo {
  id: string | null;
  modulePreload: string[];
}

/** Only paths of this build's own chunks: build.json is ours, but the page must never carry anything else. */
const CHUNK_PATH = /^\/assets\/build\/chunks\/[\w.-]+\.js$/;

function parseBuild(text: string): BuildInfo {
  const json = JSON.parse(text) as { version?: unknown; modulePreload?: unknown };
  const preload = Array.isArray(json.modulePreload) ? json.modulePreload : [];
  return {
    id: typeof json.version === 'string' ? json.version : null,
    modulePreload: preload.filter((p): p is string => typeof p === 'string' && CHUNK_PATH.test(p)),
  };
}

export function clientBuild(publicDir: string): ClientBuild {
  const buildDir = path.join(publicDir, 'build');
  const buildJson = path.join(buildDir, 'build.json');
  let known: { mtimeMs: number; build: BuildInfo } | null = null;

  const build = async (): Promise<BuildInfo> => {
    const mtimeMs = await stat(buildJson).then((s) => s.mtimeMs, () => -1);
    if (known?.mtimeMs !== mtimeMs) {
      known = { mtimeMs, build: mtimeMs < 0 ? { id: null, modulePreload: [] } : parseBuild(await readFile(buildJson, 'utf8')) };
    }
    return known.build;
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
      build().then((b) => {
        res.locals.buildId = b.id;
        res.locals.modulePreload = b.modulePreload;
        next();
      }, next);
    },
  };
}
