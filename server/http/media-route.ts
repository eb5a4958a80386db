/**
 * GET /media?url=<https URL>: a shared file fetched for the tab, so that the page never loads anything from another
 * origin (the CSP keeps connect-src and img-src to 'self'; the sender's upload service does not learn the reader's
 * address). For a logged-in browser of a live session only, with the X-Parley-Media header (a cross-site page cannot
 * send it, so it cannot make Parley fetch on its behalf). The bytes are passed through as they came, never
 * interpreted: for an encrypted file (XEP-0454) that is ciphertext, which the tab decrypts.
 *
 * Limits: the PARLEY_UPLOAD_LIMIT_MB size (declared and counted), 60 s, no redirects, a few fetches at once per
 * account, and server/net/address-policy.ts: public addresses only, except the host the admin named for the account's
 * own XMPP server in PARLEY_XMPP_SERVICES (its upload service usually lives there). Plain http only when the admin
 * turned the TLS requirement off (PARLEY_XMPP_REQUIRE_TLS=false): then an https fetch that cannot connect is tried
 * again over http, as test and LAN upload services often speak only http.
 */
import http from 'node:http';
import https from 'node:https';
import { Router, type Response } from 'express';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import type { SessionManager } from '../xmpp/session-manager.js';
import { isPrivateAddress, publicOnlyLookup } from '../net/address-policy.js';
import { byteLimit } from '../features/http-put.js';
import { uploadLimitBytes } from './upload-route.js';

export const MEDIA_PATH = '/media';
export const MEDIA_HEADER = 'x-parley-media';
const DEFAULT_LIMIT = 20 * 1024 * 1024;
const TIMEOUT_MS = 60_000;
const MAX_PARALLEL = 4;
const MAX_URL_CHARS = 4096;
/** With plain http allowed: an https attempt whose TLS handshake does not finish by then is tried again over http (a plain-http server just waits). */
const HANDSHAKE_MS = 3000;

export interface MediaRouteDeps {
  config: Config;
  sessions: SessionManager;
  log: Logger;
}

class MediaRefused extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The largest file the tab may fetch through Parley. */
export function mediaLimitBytes(config: Config): number {
  return uploadLimitBytes(config) > 0 ? uploadLimitBytes(config) : DEFAULT_LIMIT;
}

/** The host the admin named for `domain`'s XMPP server (PARLEY_XMPP_SERVICES), if any. */
function adminHost(config: Config, domain: string): string | null {
  const target = Object.hasOwn(config.xmpp.services, domain) ? config.xmpp.services[domain] : undefined;
  if (!target) return null;
  try {
    return new URL(target).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
}

const refusedLookup = publicOnlyLookup((host) => new MediaRefused(403, `${host} is on a private network`));

export function mediaRoutes(deps: MediaRouteDeps): Router {
  const router = Router();
  const running = new Map<string, number>();

  router.get(MEDIA_PATH, async (req, res) => {
    const fail = (status: number, error: string) => {
      if (!res.headersSent) res.status(status).type('text/plain').send(error);
      else res.destroy();
    };
    const accountId = req.session.accountId;
    const session = accountId ? deps.sessions.byAccountId(accountId) : undefined;
    if (!accountId || !session || session.isEnded) return fail(401, 'Not logged in');
    if (req.headers[MEDIA_HEADER] !== '1') return fail(403, 'Missing the X-Parley-Media header');
    const raw = typeof req.query.url === 'string' ? req.query.url : '';
    let url: URL;
    try {
      if (raw.length > MAX_URL_CHARS) throw new Error('long');
      url = new URL(raw);
    } catch {
      return fail(400, 'Not a URL');
    }
    const allowPlain = deps.config.xmpp.requireTls === false;
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowPlain)) return fail(400, 'Only https links are fetched');
    if (url.username || url.password) return fail(400, 'Links with credentials are not fetched');
    url.hash = '';
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const allowPrivate = host === adminHost(deps.config, session.jid.slice(session.jid.indexOf('@') + 1));
    if (!allowPrivate && isPrivateAddress(host)) return fail(403, `${url.hostname} is on a private network`);

    const count = running.get(accountId) ?? 0;
    if (count >= MAX_PARALLEL) return fail(429, 'Too many files are being fetched at once');
    running.set(accountId, count + 1);
    try {
      const limit = mediaLimitBytes(deps.config);
      let upstream: http.IncomingMessage;
      try {
        upstream = await get(url, allowPrivate, () => res.destroyed, allowPlain && url.protocol === 'https:' ? HANDSHAKE_MS : undefined);
      } catch (err) {
        if (allowPlain && url.protocol === 'https:' && !(err instanceof MediaRefused)) {
          const plain = new URL(url.href);
          plain.protocol = 'http:';
          upstream = await get(plain, allowPrivate, () => res.destroyed);
        } else throw err;
      }
      await relay(upstream, res, limit);
    } catch (err) {
      if (err instanceof MediaRefused) return fail(err.status, err.message);
      deps.log.info({ err: (err as Error).message, host: url.hostname }, 'media fetch failed');
      fail(502, 'The file could not be fetched');
    } finally {
      const left = (running.get(accountId) ?? 1) - 1;
      if (left > 0) running.set(accountId, left);
      else running.delete(accountId);
    }
  });
  return router;
}

function get(url: URL, allowPrivate: boolean, gone: () => boolean, handshakeMs?: number): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, {
      timeout: TIMEOUT_MS,
      headers: { accept: '*/*', 'user-agent': 'Parley' },
      // A socket of our own: the handshake timer below needs a fresh one (no kept-alive socket from the pool).
      agent: false,
      ...(allowPrivate ? {} : { lookup: refusedLookup }),
    });
    if (handshakeMs !== undefined) {
      req.on('socket', (socket) => {
        const timer = setTimeout(() => req.destroy(new Error('no TLS handshake')), handshakeMs);
        socket.once('secureConnect', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
      });
    }
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(err instanceof MediaRefused ? err : (err as { cause?: unknown }).cause instanceof MediaRefused ? (err as { cause: MediaRefused }).cause : err));
    req.on('response', (upstream) => {
      const status = upstream.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        upstream.resume();
        req.destroy();
        // Redirects are not followed: the address policy would have to be checked again for the new target.
        return reject(new MediaRefused(502, `The file's server answered HTTP ${status}`));
      }
      if (gone()) {
        req.destroy();
        return reject(new Error('the tab went away'));
      }
      resolve(upstream);
    });
  });
}

/** Passes the body through, at most `limit` bytes: a declared larger size is refused, a longer body is cut off. */
function relay(upstream: http.IncomingMessage, res: Response, limit: number): Promise<void> {
  const declared = upstream.headers['content-length'];
  if (declared !== undefined && (!/^\d{1,15}$/.test(declared) || Number(declared) > limit)) {
    upstream.destroy();
    return Promise.reject(new MediaRefused(413, `The file is larger than this Parley server fetches (${limit} bytes)`));
  }
  const type = (upstream.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  res.status(200);
  // Never rendered by the browser as a page of our origin: opaque bytes, a download, a sandbox if opened anyway.
  res.setHeader('content-type', 'application/octet-stream');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-disposition', 'attachment');
  res.setHeader('content-security-policy', "sandbox; default-src 'none'");
  res.setHeader('cache-control', 'private, no-store');
  if (/^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/.test(type)) res.setHeader('x-file-type', type);
  if (declared !== undefined) res.setHeader('content-length', declared);
  const counter = byteLimit(limit);
  return new Promise((resolve) => {
    const stop = () => {
      upstream.destroy();
      counter.destroy();
      res.destroy();
      resolve();
    };
    upstream.on('error', stop);
    counter.on('error', stop);
    res.on('close', () => {
      if (!res.writableFinished) stop();
    });
    res.on('finish', () => resolve());
    upstream.pipe(counter).pipe(res);
  });
}
