/**
 * PARLEY_REGISTRATION: the registration page. The account is created on its XMPP server (XEP-0077), then the
 * browser is logged in through the login form's own path. CSRF and the rate limit are those of the login (app.ts).
 */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import { registerAccount, RegistrationError, type RegistrationFailure } from '../xmpp/registration.js';
import { checkRegistrationForm, PASSWORD_MIN, type FieldErrors } from './registration-form.js';
import type { SignIn } from './routes.js';
import { translatorOf } from './locale.js';

export interface RegistrationRouteDeps {
  config: Config;
  log: Logger;
  csrfToken: (req: Request, overwrite?: boolean) => string;
  signIn: SignIn;
  isLoggedIn: (req: Request) => boolean;
}

const STATUS: Record<RegistrationFailure, number> = {
  taken: 409,
  invalid: 400,
  closed: 403,
  website: 403,
  busy: 429,
  unreachable: 503,
  'tls-failed': 503,
  timeout: 504,
  other: 502,
};

export interface RegisterPage {
  status: number;
  error?: string | null;
  errors?: FieldErrors;
  jid?: string;
}

/** The registration page; also what the rate limiter answers with (app.ts). */
export function renderRegister(config: Config, csrfToken: string, res: Response, page: RegisterPage): void {
  res.status(page.status).render('register', {
    title: translatorOf(res)('register.title'),
    error: page.error ?? null,
    errors: page.errors ?? {},
    jid: page.jid ?? '',
    csrfToken,
    defaultDomain: config.xmpp.defaultDomain,
    domains: config.xmpp.allowedDomains === '*' ? null : config.xmpp.allowedDomains,
    passwordMin: PASSWORD_MIN,
  });
}

export function registrationRoutes(deps: RegistrationRouteDeps): Router {
  const { config } = deps;
  const router = Router();
  const render = (req: Request, res: Response, page: RegisterPage) => renderRegister(config, deps.csrfToken(req), res, page);

  router.get('/register', (req, res) => {
    if (deps.isLoggedIn(req)) return res.redirect(303, '/');
    render(req, res, { status: 200 });
  });

  router.post('/register', async (req, res) => {
    const typed = typeof req.body?.jid === 'string' ? req.body.jid.slice(0, 1024) : '';
    const t = translatorOf(res);
    const form = checkRegistrationForm(req.body, config.xmpp.defaultDomain, config.xmpp.allowedDomains, t);
    if (!form.ok) return render(req, res, { status: 400, errors: form.errors, jid: typed });
    const domain = form.jid.slice(form.jid.indexOf('@') + 1);
    try {
      await registerAccount({
        jid: form.jid,
        password: form.password,
        service: config.xmpp.services[domain],
        requireTls: config.xmpp.requireTls,
        limits: config.xmpp.guards.limits,
        timeoutMs: config.xmpp.guards.timeoutMs,
      });
    } catch (err) {
      if (!(err instanceof RegistrationError)) {
        deps.log.error({ err }, 'registration crashed');
        return render(req, res, { status: 500, error: t('server.crashedTryAgain'), jid: typed });
      }
      const level = /refused .*\(/.test(err.detail) ? 'warn' : 'info'; // the address policy refused where the domain points
      deps.log[level]({ account: form.jid, reason: err.reason, detail: err.detail }, 'registration refused');
      // A taken name is about the address field; everything else about the whole attempt.
      const message = err.describe(t);
      const page = err.reason === 'taken' ? { errors: { jid: message } } : { error: message };
      return render(req, res, { status: STATUS[err.reason], jid: typed, ...page });
    }
    deps.log.info({ account: form.jid }, 'account registered');
    await deps.signIn(req, res, form.jid, form.password, { remember: form.remember, typed, registered: true });
  });

  return router;
}
