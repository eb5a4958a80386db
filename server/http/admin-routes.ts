/**
 * The admin panel (/admin) for the browser session of an admin: live sessions (with a form to end one), the
 * doctor's results and the settings. Everyone else gets the ordinary 404 page: the panel's existence is not advertised.
 */
import { Router, type Request, type Response, type NextFunction } from 'express';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import type { Ops } from '../ops/ops.js';
import { listLiveSessions } from '../ops/live-sessions.js';
import { parseBareJid } from '../ops/admins.js';
import { describeSettings } from '../ops/settings.js';

export interface AdminRouteDeps {
  config: Config;
  log: Logger;
  ops: Ops;
  csrfToken: (req: Request, overwrite?: boolean) => string;
}

export function adminRoutes(deps: AdminRouteDeps): Router {
  const { ops } = deps;
  const router = Router();

  const requireAdmin = async (req: Request, res: Response, next: NextFunction) => {
    const accountId = req.session.accountId;
    const who = accountId ? await ops.admins.isAdminAccount(accountId) : null;
    if (!who?.admin) return res.status(404).render('error', { title: 'Not found — Parley', message: 'There is nothing here.' });
    res.locals.admin = who.jid;
    next();
  };

  router.get('/admin', requireAdmin, async (req, res) => {
    const doctor = await ops.doctor(req.query.recheck ? 0 : 60_000);
    const ended = typeof req.query.ended === 'string' ? parseBareJid(req.query.ended) : null;
    res.set('cache-control', 'no-store').render('admin', {
      title: 'Admin — Parley',
      admin: res.locals.admin as string,
      csrfToken: deps.csrfToken(req),
      notice: ended ? `The session of ${ended} has ended; its tabs were sent to the login page.` : null,
      sessions: listLiveSessions(ops.sessions),
      doctor: doctor.results,
      doctorAt: doctor.at.toISOString(),
      admins: await ops.admins.list(),
      settings: describeSettings(deps.config),
    });
  });

  router.post('/admin/sessions/end', requireAdmin, async (req, res) => {
    const jid = parseBareJid(String((req.body as Record<string, unknown> | undefined)?.jid ?? ''));
    const session = jid ? ops.sessions.sessions().find((s) => s.jid === jid && !s.isEnded) : undefined;
    if (jid && session) {
      await ops.sessions.logout(session.accountId, 'admin');
      deps.log.info({ account: jid, by: res.locals.admin as string }, 'session ended by an admin');
    }
    // Ended now or already gone: either way it is not live any more.
    res.redirect(303, jid ? `/admin?ended=${encodeURIComponent(jid)}` : '/admin');
  });

  return router;
}
