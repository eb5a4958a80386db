/**
 * The admin panel (/admin) for the browser session of an admin: live sessions (with a form to end one), the
 * doctor's results and the settings, some of which it can change at run time. Everyone else gets the ordinary 404 page: the panel's existence is not advertised.
 */
import { Router, type Request, type Response, type NextFunction } from 'express';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import type { Ops } from '../ops/ops.js';
import { listLiveSessions } from '../ops/live-sessions.js';
import { parseBareJid } from '../ops/admins.js';
import { describeSettings } from '../ops/settings.js';
import { changeRuntimeSetting, listRuntimeSettings } from '../ops/runtime-settings.js';
import { translatorOf } from './locale.js';

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
    if (!who?.admin) {
      const t = translatorOf(res);
      return res.status(404).render('error', { title: t('error.notFoundTitle'), message: t('error.notFound') });
    }
    res.locals.admin = who.jid;
    next();
  };

  const renderPanel = async (req: Request, res: Response, status: number, messages: { notice: string | null; settingError: string | null }) => {
    const doctor = await ops.doctor(req.query.recheck ? 0 : 60_000);
    res.status(status).set('cache-control', 'no-store').render('admin', {
      title: translatorOf(res)('admin.title'),
      admin: res.locals.admin as string,
      csrfToken: deps.csrfToken(req),
      ...messages,
      sessions: listLiveSessions(ops.sessions),
      cluster: await ops.clusterStatus(),
      doctor: doctor.results,
      doctorAt: doctor.at.toISOString(),
      admins: await ops.admins.list(),
      settings: describeSettings(deps.config),
      runtimeSettings: listRuntimeSettings(deps.config, translatorOf(res)),
    });
  };

  router.get('/admin', requireAdmin, async (req, res) => {
    const ended = typeof req.query.ended === 'string' ? parseBareJid(req.query.ended) : null;
    const t = translatorOf(res);
    const changed = listRuntimeSettings(deps.config, t).find((s) => s.name === req.query.changed);
    const notice = ended
      ? t('admin.noticeEnded', { jid: ended })
      : changed
        ? t('admin.noticeChanged', { name: changed.name, value: String(changed.value), effect: changed.effect })
        : null;
    await renderPanel(req, res, 200, { notice, settingError: null });
  });

  router.post('/admin/settings', requireAdmin, async (req, res) => {
    const body = (req.body as Record<string, unknown> | undefined) ?? {};
    const result = changeRuntimeSetting(deps.config, String(body.name ?? ''), String(body.value ?? ''));
    if (!result.ok) return renderPanel(req, res, 400, { notice: null, settingError: result.error });
    deps.log.info({ setting: result.setting.name, from: result.previous, to: result.setting.value, by: res.locals.admin as string }, 'setting changed by an admin');
    res.redirect(303, `/admin?changed=${encodeURIComponent(result.setting.name)}`);
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
