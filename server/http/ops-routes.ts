/**
 * Operational endpoints, mounted before sessions and CSRF (no cookies involved): readiness, Prometheus metrics,
 * and the admin API that `npm run admin -- sessions|end|settings|set` calls on the loopback interface.
 */
import express, { Router, type Request, type Response, type NextFunction } from 'express';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import type { Ops } from '../ops/ops.js';
import { hasBearer, isDirectLoopback } from '../ops/access.js';
import { listLiveSessions } from '../ops/live-sessions.js';
import { parseBareJid } from '../ops/admins.js';
import { changeRuntimeSetting, listRuntimeSettings } from '../ops/runtime-settings.js';

export function opsRoutes(deps: { config: Config; log: Logger; ops: Ops }): Router {
  const { config, ops } = deps;
  const router = Router();

  router.get('/readyz', async (_req, res) => {
    const result = await ops.readiness.check();
    res.set('cache-control', 'no-store');
    if (result.ready) return res.json({ ok: true });
    res.status(503).json({ ok: false, reason: result.reason });
  });

  // Default: only a scraper on this machine. With PARLEY_METRICS_TOKEN: whoever has the token, from anywhere.
  router.get('/metrics', async (req, res) => {
    if (config.metricsToken) {
      if (!hasBearer(req, config.metricsToken)) {
        return res.status(401).set('www-authenticate', 'Bearer realm="parley-metrics"').json({ error: 'Bearer token required (PARLEY_METRICS_TOKEN)' });
      }
    } else if (!isDirectLoopback(req)) {
      return res.status(403).json({ error: 'metrics are served to this machine only; set PARLEY_METRICS_TOKEN to scrape from elsewhere' });
    }
    const { contentType, body } = await ops.metrics.render();
    res.set('content-type', contentType).set('cache-control', 'no-store').send(body);
  });

  // The admin API needs both: a direct loopback connection and the admin token (readable by the parley user only).
  const adminApi = Router();
  adminApi.use((req: Request, res: Response, next: NextFunction) => {
    if (!isDirectLoopback(req) || !hasBearer(req, ops.adminToken)) return res.status(404).json({ error: 'not found' });
    next();
  });
  adminApi.use(express.json({ limit: '4kb' }));
  adminApi.get('/sessions', (_req, res) => {
    res.json({ sessions: listLiveSessions(ops.sessions) });
  });
  adminApi.post('/sessions/end', async (req, res) => {
    const jid = parseBareJid((req.body as { jid?: unknown } | undefined)?.jid as string | undefined);
    if (!jid) return res.status(400).json({ error: 'body must be {"jid": "user@example.org"}' });
    const session = ops.sessions.sessions().find((s) => s.jid === jid && !s.isEnded);
    if (!session) return res.status(404).json({ error: `${jid} has no live session` });
    await ops.sessions.logout(session.accountId, 'admin');
    deps.log.info({ account: jid, by: 'admin-cli' }, 'session ended by an admin');
    res.json({ ended: jid });
  });
  adminApi.get('/settings', (_req, res) => {
    res.json({ settings: listRuntimeSettings(config) });
  });
  adminApi.post('/settings', (req, res) => {
    const { name, value } = (req.body as { name?: unknown; value?: unknown } | undefined) ?? {};
    if (typeof name !== 'string' || typeof value !== 'string') return res.status(400).json({ error: 'body must be {"name": "PARLEY_…", "value": "…"}' });
    const result = changeRuntimeSetting(config, name, value);
    if (!result.ok) return res.status(400).json({ error: result.error });
    deps.log.info({ setting: result.setting.name, from: result.previous, to: result.setting.value, by: 'admin-cli' }, 'setting changed by an admin');
    res.json({ setting: result.setting, previous: result.previous });
  });
  router.use('/admin/api', adminApi);

  return router;
}
