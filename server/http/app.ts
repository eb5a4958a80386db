/** The Express application: security headers, sessions, CSRF, static assets, routes, error pages. */
import path from 'node:path';
import express, { type Express, type RequestHandler, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { csrfSync } from 'csrf-sync';
import { rateLimit } from 'express-rate-limit';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import type { SessionManager } from '../xmpp/session-manager.js';
import { appRoutes } from './routes.js';
import { avatarRoutes } from './avatar-route.js';
import { normaliseLoginJid } from './login-form.js';
import { renderRegister } from './registration-routes.js';
import { opsRoutes } from './ops-routes.js';
import { adminRoutes } from './admin-routes.js';
import { uploadRoutes, isUploadPath } from './upload-route.js';
import { mediaRoutes } from './media-route.js';
import { localeMiddleware, translatorOf } from './locale.js';
import type { Ops } from '../ops/ops.js';
import { clientBuild } from './client-build.js';
import { AccountThrottle } from './account-throttle.js';

export interface HttpDeps {
  config: Config;
  log: Logger;
  sessions: SessionManager;
  sessionMiddleware: RequestHandler;
  rootDir: string;
  /** Static files and the client build (default: rootDir/public); tests serve a second deployment from a copy. */
  publicDir?: string;
  /** Readiness, metrics, admin (server/ops). */
  ops: Ops;
}

export function createHttpApp(deps: HttpDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', path.join(deps.rootDir, 'views'));

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          // Shared videos play from object URLs of bytes fetched through /media (decrypted in the tab when encrypted).
          mediaSrc: ["'self'", 'blob:'],
          connectSrc: ["'self'", config.publicUrl.origin.replace(/^http/, 'ws')],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          manifestSrc: ["'self'"],
          workerSrc: ["'self'"],
        },
      },
      strictTransportSecurity: config.publicUrl.protocol === 'https:',
    }),
  );

  app.get('/healthz', (_req, res) => res.json({ ok: true }));
  app.use(opsRoutes({ config, log: deps.log, ops: deps.ops }));
  const publicDir = deps.publicDir ?? path.join(deps.rootDir, 'public');
  app.use('/assets', express.static(publicDir, { maxAge: config.env === 'production' ? '1h' : 0, index: false }));
  // At the root, so that its scope is the whole app.
  const build = clientBuild(publicDir);
  app.get('/sw.js', build.serviceWorker);
  app.get('/', build.buildIdLocal);

  app.use(localeMiddleware());

  // The upload route streams its raw body on (whatever type the file has): no body parser may read it.
  const forms = express.urlencoded({ extended: false, limit: '16kb' });
  app.use((req, res, next) => (isUploadPath(req.path) ? next() : forms(req, res, next)));
  app.use(deps.sessionMiddleware);

  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    // Forms post _csrf; the upload's body is the file, so its token comes in a header (not settable cross-site).
    getTokenFromRequest: (req) =>
      ((req.body as Record<string, unknown> | undefined)?._csrf as string | undefined) ??
      (typeof req.headers['x-csrf-token'] === 'string' ? req.headers['x-csrf-token'] : undefined),
  });
  app.use(csrfSynchronisedProtection);

  // Form posts per client address (every post), and failed posts per XMPP domain whatever address they come from:
  // the login and registration forms must not be a way to hammer (or probe) one XMPP server from many addresses.
  const limitPosts = (path: string, handler: (req: Request, res: Response, why: 'address' | 'domain') => void) => {
    app.use(
      path,
      rateLimit({
        windowMs: 15 * 60_000,
        limit: () => config.limits.loginAttempts, // read per request: changeable at run time
        skip: (req) => req.method !== 'POST',
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        handler: (req, res) => handler(req, res, 'address'),
      }),
    );
    // Counted when a post has failed, not when it arrives (express-rate-limit counts every post in flight and gives
    // successes back only as they finish: a burst of 100 good logins at once locked the domain). Nor does a post the
    // login gate answered "busy" count: a storm of those would lock the whole domain out for 15 minutes.
    const failures = new AccountThrottle(() => config.limits.domainLoginFailures, 15 * 60_000);
    app.use(path, (req: Request, res: Response, next: NextFunction) => {
      // Only on an open instance: a listed domain is the admin's own, where a per-domain cap would let a few
      // addresses lock everyone out; the per-account limit guards its passwords.
      const domain = req.method === 'POST' && config.xmpp.allowedDomains === '*' ? formDomain(req) : null;
      if (domain === null) return next();
      if (failures.blocked(domain)) {
        deps.log.warn({ domain, path: req.path }, 'too many failed attempts for this XMPP domain');
        return handler(req, res, 'domain');
      }
      res.once('finish', () => {
        if (res.statusCode >= 400 && res.locals.loginBusy !== true) failures.fail(domain);
      });
      next();
    });
  };
  const formDomain = (req: Request): string | null => {
    const raw = (req.body as Record<string, unknown> | undefined)?.jid;
    if (typeof raw !== 'string') return null;
    const check = normaliseLoginJid(raw.trim().slice(0, 3071), config.xmpp.defaultDomain, '*');
    return check.ok ? check.jid.slice(check.jid.indexOf('@') + 1) : null;
  };
  limitPosts('/login', (req, res, why) => {
    const t = translatorOf(res);
    res.status(429).render('login', {
      title: t('login.title'),
      error: t(why === 'address' ? 'login.tooManyFromAddress' : 'login.tooManyForServer'),
      jid: '',
      csrfToken: generateToken(req),
      defaultDomain: config.xmpp.defaultDomain,
      registration: config.xmpp.registration,
    });
  });
  // Mounted even while registration is off: an admin may turn it on at run time.
  limitPosts('/register', (req, res, why) =>
    renderRegister(config, generateToken(req), res, {
      status: 429,
      error: translatorOf(res)(why === 'address' ? 'register.tooManyFromAddress' : 'register.tooManyForServer'),
    }),
  );

  app.use(avatarRoutes({ dataDir: config.dataDir, sessions: deps.sessions }));
  app.use(uploadRoutes({ config, sessions: deps.sessions, log: deps.log }));
  app.use(mediaRoutes({ config, sessions: deps.sessions, log: deps.log }));
  app.use(appRoutes({ config, sessions: deps.sessions, log: deps.log, csrfToken: (req, overwrite) => generateToken(req, overwrite) }));
  app.use(adminRoutes({ config, log: deps.log, ops: deps.ops, csrfToken: (req, overwrite) => generateToken(req, overwrite) }));

  app.use((_req, res) => {
    const t = translatorOf(res);
    res.status(404).render('error', { title: t('error.notFoundTitle'), message: t('error.notFound') });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const t = translatorOf(res);
    const code = (err as { code?: string }).code;
    if (code === 'EBADCSRFTOKEN') {
      if (isUploadPath(req.path)) return res.status(403).json({ ok: false, error: t('error.expiredUpload') });
      return res.status(403).render('error', { title: t('error.expiredTitle'), message: t('error.expired') });
    }
    // The body parser's refusals are the client's fault (too large: 413, malformed or unsupported: 400/415), not ours.
    const status = (err as { status?: unknown }).status;
    if ((err as { type?: unknown }).type !== undefined && typeof status === 'number' && status >= 400 && status < 500) {
      deps.log.info({ path: req.path, status, type: (err as { type?: unknown }).type }, 'request body refused');
      const message = t(status === 413 ? 'error.formTooLarge' : 'error.formUnreadable');
      if (isUploadPath(req.path)) return res.status(status).json({ ok: false, error: message });
      return res.status(status).render('error', { title: t('error.badRequestTitle'), message });
    }
    deps.log.error({ err, path: req.path }, 'request failed');
    res.status(500).render('error', { title: t('error.serverTitle'), message: t('error.server') });
  });
  return app;
}
