/**
 * The account's own page (/account): change the password, delete the account, see and end this account's browser
 * sessions, see its OMEMO devices. Forms are CSRF-protected like the login form; every action acts on the session
 * cookie's own account only (a browser id of another account matches nothing).
 */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import { AccountChangeError, type SessionManager } from '../xmpp/session-manager.js';
import type { AccountSession } from '../xmpp/account-session.js';
import { translatorOf } from './locale.js';
import { AccountThrottle } from './account-throttle.js';
import { hashSid } from '../store/sessions.js';
import { MAX_PASSWORD_LENGTH } from '../stanza/register.js';

export interface AccountRouteDeps {
  config: Config;
  sessions: SessionManager;
  log: Logger;
  csrfToken: (req: Request, overwrite?: boolean) => string;
}

/** What the page says after an action that worked (?done=…). */
const DONE = { password: 'account.passwordChanged', signedOut: 'account.browserSignedOut' } as const;

const field = (req: Request, name: string): string => {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

export function accountRoutes(deps: AccountRouteDeps): Router {
  const { sessions, config } = deps;
  const router = Router();
  // Wrong current passwords count like failed logins: the page is no way around the login throttle.
  const throttle = new AccountThrottle(() => config.limits.accountLoginFailures, 15 * 60_000);

  const liveOf = (req: Request): AccountSession | null => {
    const id = req.session.accountId;
    const live = id ? sessions.byAccountId(id) : undefined;
    return live && !live.isEnded ? live : null;
  };

  const render = async (req: Request, res: Response, session: AccountSession, opts: { status?: number; error?: string | null; notice?: string | null; form?: string } = {}) => {
    const t = translatorOf(res);
    const thisBrowser = hashSid(req.sessionID);
    const browsers = (await sessions.listBrowsers(session.accountId)).map((b) => ({
      id: b.id,
      createdAt: b.createdAt.toISOString(),
      agent: shortUserAgent(b.userAgent),
      isThis: b.id === thisBrowser,
    }));
    const devices = await session.omemo.devices(session.jid, true).catch(() => null);
    const tabDevice = Number(req.query.device);
    res.status(opts.status ?? 200).render('account', {
      title: t('account.title'),
      jid: session.jid,
      csrfToken: deps.csrfToken(req),
      error: opts.error ?? null,
      errorForm: opts.form ?? null,
      notice: opts.notice ?? null,
      browsers,
      devices,
      tabDevice: Number.isInteger(tabDevice) && tabDevice > 0 ? tabDevice : null,
      maxPassword: MAX_PASSWORD_LENGTH,
    });
  };

  const failure = (res: Response, err: unknown): { status: number; error: string } => {
    const t = translatorOf(res);
    if (!(err instanceof AccountChangeError)) {
      deps.log.error({ err }, 'account change crashed');
      return { status: 500, error: t('server.crashedTryAgain') };
    }
    const because = err.serverText ? ` ${t('account.serverSaid', { text: err.serverText })}` : '';
    switch (err.reason) {
      case 'wrong-password':
        return { status: 401, error: t('account.wrongPassword') };
      case 'empty':
        return { status: 400, error: t('account.passwordEmpty') };
      case 'too-long':
        return { status: 400, error: t('account.passwordTooLong', { max: MAX_PASSWORD_LENGTH }) };
      case 'invalid-characters':
        return { status: 400, error: t('account.passwordInvalid') };
      case 'address-mismatch':
        return { status: 400, error: t('account.addressMismatch') };
      case 'not-allowed':
        return { status: 403, error: t('account.serverNotAllowed') + because };
      case 'not-acceptable':
        return { status: 400, error: t('account.serverNotAcceptable') + because };
      case 'no-session':
        return { status: 409, error: t('account.noSession') };
      default:
        return { status: 503, error: t('account.serverFailed') + because };
    }
  };

  router.get('/account', async (req, res) => {
    const session = liveOf(req);
    if (!session) return res.redirect(303, '/login');
    const done = typeof req.query.done === 'string' && req.query.done in DONE ? DONE[req.query.done as keyof typeof DONE] : null;
    await render(req, res, session, { notice: done ? translatorOf(res)(done) : null });
  });

  router.post('/account/password', async (req, res) => {
    const session = liveOf(req);
    if (!session) return res.redirect(303, '/login');
    const t = translatorOf(res);
    if (throttle.blocked(session.jid)) return render(req, res, session, { status: 429, error: t('login.accountThrottled'), form: 'password' });
    const next = field(req, 'password');
    if (next !== field(req, 'confirm')) return render(req, res, session, { status: 400, error: t('account.passwordMismatch'), form: 'password' });
    try {
      await sessions.changePassword(session.accountId, field(req, 'current'), next);
      throttle.succeeded(session.jid);
      res.redirect(303, '/account?done=password');
    } catch (err) {
      if (err instanceof AccountChangeError && err.reason === 'wrong-password') throttle.fail(session.jid);
      const { status, error } = failure(res, err);
      await render(req, res, session, { status, error, form: 'password' });
    }
  });

  router.post('/account/delete', async (req, res) => {
    const session = liveOf(req);
    if (!session) return res.redirect(303, '/login');
    const t = translatorOf(res);
    if (throttle.blocked(session.jid)) return render(req, res, session, { status: 429, error: t('login.accountThrottled'), form: 'delete' });
    try {
      await sessions.deleteAccount(session.accountId, field(req, 'jid'), field(req, 'password'));
      await new Promise<void>((ok) => req.session.destroy(() => ok()));
      res.clearCookie('parley.sid', { path: '/' });
      res.redirect(303, '/login?notice=deleted');
    } catch (err) {
      if (err instanceof AccountChangeError && err.reason === 'wrong-password') throttle.fail(session.jid);
      const { status, error } = failure(res, err);
      await render(req, res, session, { status, error, form: 'delete' });
    }
  });

  router.post('/account/browsers/signout', async (req, res) => {
    const session = liveOf(req);
    if (!session) return res.redirect(303, '/login');
    const t = translatorOf(res);
    const id = field(req, 'browser');
    // This browser signs out with the logout button (which ends every browser): not here.
    if (id === hashSid(req.sessionID)) return render(req, res, session, { status: 400, error: t('account.browserIsThis'), form: 'browsers' });
    if (!(await sessions.signOutBrowser(session.accountId, id))) {
      return render(req, res, session, { status: 404, error: t('account.browserGone'), form: 'browsers' });
    }
    deps.log.info({ account: session.jid }, 'browser session signed out from another browser');
    res.redirect(303, '/account?done=signedOut');
  });

  return router;
}

/** "Firefox 128 · Linux" from a user agent string; enough to tell one's browsers apart, nothing to parse in the page. */
export function shortUserAgent(ua: string | null): string | null {
  if (!ua) return null;
  const browsers: [RegExp, string][] = [
    [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
    [/OPR\/(\d+)/, 'Opera'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/FxiOS\/(\d+)/, 'Firefox'],
    [/CriOS\/(\d+)/, 'Chrome'],
    [/Chrom(?:e|ium)\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
  ];
  const systems: [RegExp, string][] = [
    [/Android/, 'Android'],
    [/iPhone|iPad|iPod/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ];
  let name: string | null = null;
  for (const [re, label] of browsers) {
    const m = re.exec(ua);
    if (m) {
      name = `${label} ${m[1]}`;
      break;
    }
  }
  const system = systems.find(([re]) => re.test(ua))?.[1] ?? null;
  const out = [name, system].filter(Boolean).join(' · ');
  return out || ua.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 60);
}
