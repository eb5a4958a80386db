/**
 * GET /avatars/<sha1>: a stored avatar (re-encoded WebP, see features/avatars.ts), from Parley's own origin and only
 * to a browser logged in to a live session. The name is content-addressed, so it may be cached for good.
 */
import { Router } from 'express';
import { createReadStream } from 'node:fs';
import type { SessionManager } from '../xmpp/session-manager.js';
import { avatarDir } from '../features/avatars.js';
import path from 'node:path';

export function avatarRoutes(deps: { dataDir: string; sessions: SessionManager }): Router {
  const router = Router();
  const dir = avatarDir(deps.dataDir);
  router.get('/avatars/:hash', (req, res) => {
    const accountId = req.session.accountId;
    if (!accountId || !deps.sessions.byAccountId(accountId)) return res.status(401).type('text/plain').send('Not logged in');
    const hash = req.params.hash;
    if (!/^[0-9a-f]{40}$/.test(hash)) return res.status(404).type('text/plain').send('Not found');
    const stream = createReadStream(path.join(dir, `${hash}.webp`));
    stream.once('error', () => {
      if (!res.headersSent) res.status(404).type('text/plain').send('Not found');
    });
    stream.once('open', () => {
      res.status(200);
      res.setHeader('content-type', 'image/webp');
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', 'private, max-age=31536000, immutable');
      res.setHeader('content-disposition', 'inline');
      stream.pipe(res);
    });
  });
  return router;
}
