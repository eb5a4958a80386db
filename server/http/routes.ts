/** Login, logout and the app shell. Forms are CSRF-protected; the session id is rotated at login. */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import { LoginError, loginMessage, type SessionManager } from '../xmpp/session-manager.js';
import { formError, loginFormSchema, normaliseLoginJid } from './login-form.js';
import { translatorOf } from './locale.js';
import { AccountThrottle } from './account-throttle.js';
import { registrationRoutes } from './registration-routes.js';
import { uploadLimitBytes } from './upload-route.js';
import { accountRoutes } from './account-routes.js';

export interface RouteDeps {
  config: Config;
  sessions: SessionManager;
  log: Logger;
  csrfToken: (req: Request, overwrite?: boolean) => string;
}

/**
 * Logs a browser in (see appRoutes). `typed` is what the person entered, shown again on failure; `registered` says
 * the account was just created, so that a failure does not read as if it were not.
 */
export type SignIn = (req: Request, res: Response, jid: string, password: string, opts: { remember: boolean; typed?: string; registered?: boolean }) => Promise<void>;

export function appRoutes(deps: RouteDeps): Router {
  const { config, sessions } = deps;
  const router = Router();
  const throttle = new AccountThrottle(() => config.limits.accountLoginFailures, 15 * 60_000);

  const renderLogin = (req: Request, res: Response, status: number, error: string | null, jid = '', notice: string | null = null) =>
    res.status(status).render('login', {
      title: translatorOf(res)('login.title'),
      error,
      notice,
      jid,
      csrfToken: deps.csrfToken(req),
      defaultDomain: config.xmpp.defaultDomain,
      registration: config.xmpp.registration,
    });

  router.get('/', async (req, res) => {
    const accountId = req.session.accountId;
    // A remembered browser whose XMPP session ended (idle, restart) gets it back without the password.
    let live;
    try {
      live = accountId ? await sessions.liveAnywhere(accountId, req.session.jid) : null;
    } catch (err) {
      if (!(err instanceof LoginError && err.condition === 'busy')) throw err;
      // Too many logins at once: the login page says so (the cookie stays; the next visit restores the session).
      res.set('retry-after', String(err.retryAfterSeconds));
      return renderLogin(req, res, 503, loginMessage('busy', '', translatorOf(res)));
    }
    if (!accountId || !live || live.isEnded) return res.redirect(303, '/login');
    res.render('app', { title: 'Parley', account: live.jid, csrfToken: deps.csrfToken(req), uploadLimitBytes: uploadLimitBytes(config) });
  });

  router.get('/login', (req, res) => {
    const accountId = req.session.accountId;
    if (accountId && sessions.byAccountId(accountId)) return res.redirect(303, '/');
    // After the account was deleted, or this browser was signed out from another one.
    const notice = req.query.notice === 'deleted' ? 'login.noticeDeleted' : req.query.notice === 'signed-out' ? 'login.noticeSignedOut' : null;
    renderLogin(req, res, 200, null, '', notice ? translatorOf(res)(notice) : null);
  });

  /**
   * Logs the browser in with a checked address and lands it in the app, or answers with the login page and why not.
   * The login form's one path; a registration takes it too, right after the account was created.
   */
  const signIn: SignIn = async (req, res, jid, password, { remember, typed = jid, registered = false }) => {
    const t = translatorOf(res);
    const renderFailure = (status: number, message: string) =>
      renderLogin(req, res, status, registered ? t('login.failedAfterRegistration', { jid, reason: message }) : message, typed);
    if (throttle.blocked(jid)) {
      return renderFailure(429, t('login.accountThrottled'));
    }
    try {
      const session = await sessions.login(jid, password, { remember });
      await regenerate(req);
      req.session.accountId = session.accountId;
      req.session.jid = session.jid;
      // Shown (shortened) in the account's list of browsers; bounded, never parsed.
      req.session.userAgent = (req.get('user-agent') ?? '').slice(0, 300);
      if (remember) req.session.cookie.maxAge = config.timers.rememberMs;
      await save(req);
      throttle.succeeded(jid);
      deps.log.info({ account: jid }, 'login');
      res.redirect(303, '/');
    } catch (err) {
      if (err instanceof LoginError) {
        // The detail (what really failed) is for the log only; the page gets the uniform text.
        if (err.addressRefused) deps.log.warn({ account: jid, detail: err.detail }, 'login refused: the domain points at a loopback or private address');
        else deps.log.info({ account: jid, condition: err.condition, detail: err.detail }, 'login failed');
        if (err.condition === 'not-authorized') throttle.fail(jid);
        if (err.condition === 'busy') {
          res.set('retry-after', String(err.retryAfterSeconds));
          res.locals.loginBusy = true; // not a failed attempt (see the per-domain limit in app.ts)
        }
        return renderFailure(err.condition === 'not-authorized' ? 401 : 503, loginMessage(err.condition, jid.slice(jid.indexOf('@') + 1), t));
      }
      deps.log.error({ err }, 'login crashed');
      renderFailure(500, t('server.crashedTryAgain'));
    }
  };

  router.post('/login', async (req, res) => {
    const t = translatorOf(res);
    const form = loginFormSchema.safeParse(req.body);
    if (!form.success) return renderLogin(req, res, 400, formError(form.error.issues[0]?.message, t), String(req.body?.jid ?? ''));
    const check = normaliseLoginJid(form.data.jid, config.xmpp.defaultDomain, config.xmpp.allowedDomains, t);
    if (!check.ok) return renderLogin(req, res, 400, check.error, form.data.jid);
    await signIn(req, res, check.jid, form.data.password, { remember: !!form.data.remember, typed: form.data.jid });
  });

  // Without PARLEY_REGISTRATION there is no /register at all: the 404 page answers. Read per request, since an
  // admin may switch it at run time.
  const isLoggedIn = (req: Request) => !!req.session.accountId && !!sessions.byAccountId(req.session.accountId);
  const registration = registrationRoutes({ config, log: deps.log, csrfToken: deps.csrfToken, signIn, isLoggedIn });
  router.use((req, res, next) => (config.xmpp.registration ? registration(req, res, next) : next()));

  router.use(accountRoutes({ config, sessions, log: deps.log, csrfToken: deps.csrfToken }));

  router.post('/logout', async (req, res) => {
    const accountId = req.session.accountId;
    if (accountId) await sessions.logout(accountId, 'logout');
    await destroy(req);
    res.redirect(303, '/login');
  });

  return router;
}

const regenerate = (req: Request) => new Promise<void>((ok, fail) => req.session.regenerate((err) => (err ? fail(err) : ok())));
const save = (req: Request) => new Promise<void>((ok, fail) => req.session.save((err) => (err ? fail(err) : ok())));
const destroy = (req: Request) => new Promise<void>((ok) => req.session.destroy(() => ok()));
