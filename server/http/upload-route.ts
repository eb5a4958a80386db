/**
 * POST /upload?to=JID: a tab sends a file (raw body, its name URI-encoded in X-File-Name, its type as Content-Type,
 * the page's CSRF token in X-CSRF-Token). The logged-in account's XMPP session uploads it (XEP-0363) and sends the
 * link to `to`. Answers a contract Result: { ok: true, data: { message } } or { ok: false, error }.
 * With `&encrypted=1` the body is the tab's ciphertext (XEP-0454): it is only uploaded, nothing is sent, and the
 * answer is { ok: true, data: { url } } (the slot's GET URL, which the tab puts into its aesgcm:// link).
 */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import type { SessionManager } from '../xmpp/session-manager.js';
import type { MessageDTO, Result } from '../realtime/contract.js';
import { UploadError, type UploadFailure } from '../features/upload.js';
import { CommandError } from '../features/messages.js';
import { parseJid } from '../stanza/jid.js';

export const UPLOAD_PATH = '/upload';

/** As Express routes it: case-insensitive, with or without a trailing slash. */
export function isUploadPath(path: string): boolean {
  return path.replace(/\/+$/, '').toLowerCase() === UPLOAD_PATH;
}

const STATUS: Record<UploadFailure, number> = {
  'too-large': 413,
  'no-service': 501,
  'slot-refused': 502,
  'put-failed': 502,
  busy: 429,
  'not-online': 503,
  cancelled: 499,
};

const MAX_NAME_HEADER = 2048;

export interface UploadRouteDeps {
  config: Config;
  sessions: SessionManager;
  log: Logger;
}

/** The upload limit in bytes (PARLEY_UPLOAD_LIMIT_MB; 0 turns uploads off). */
export function uploadLimitBytes(config: Config): number {
  return Math.floor(config.limits.uploadMb * 1024 * 1024);
}

export function uploadRoutes(deps: UploadRouteDeps): Router {
  const router = Router();

  router.post(UPLOAD_PATH, async (req, res) => {
    const limitBytes = uploadLimitBytes(deps.config); // per request: an admin may change it at run time
    const fail = (status: number, error: string) => reply(res, status, { ok: false, error });
    if (limitBytes <= 0) return fail(403, 'File upload is turned off on this Parley server.');
    const accountId = req.session.accountId;
    const session = accountId ? deps.sessions.byAccountId(accountId) : undefined;
    if (!session || session.isEnded) return fail(401, 'Your session has ended. Log in again.');

    const to = typeof req.query.to === 'string' ? parseJid(req.query.to) : null;
    if (!to || !to.local || to.resource || String(req.query.to).includes('/')) return fail(400, 'Choose a contact: `to` must be a bare JID (user@example.org).');
    if (to.bare === session.jid) return fail(400, 'You cannot send a file to yourself.');

    const name = fileName(req);
    if (name === null) return fail(400, 'The file name is missing or malformed (X-File-Name, URI-encoded).');
    const size = declaredSize(req);
    if (size === null) return fail(411, 'The upload needs a Content-Length.');
    if (size === 0) return fail(400, 'The file is empty.');
    if (size > limitBytes) return fail(413, `The file is larger than this Parley server accepts (${deps.config.limits.uploadMb} MB).`);

    // The tab cancelled (or went away) when its connection closes before our answer: then nothing may be sent.
    let gone = false;
    res.on('close', () => (gone = !res.writableFinished));
    const encrypted = req.query.encrypted === '1';
    const file = { to: to.bare, name, size, type: encrypted ? 'application/octet-stream' : contentType(req), body: req, cancelled: () => gone };
    const policy = {
      limitBytes,
      allowPlainHttp: deps.config.xmpp.requireTls === false,
      allowPrivateNetwork: Object.hasOwn(deps.config.xmpp.services, session.jid.slice(session.jid.indexOf('@') + 1)),
    };
    try {
      if (encrypted) return reply(res, 200, { ok: true, data: { url: await session.upload.store(file, policy) } });
      const message = await session.upload.send(file, policy);
      reply(res, 200, { ok: true, data: { message } });
    } catch (err) {
      if (err instanceof UploadError) return fail(STATUS[err.kind], err.message);
      if (err instanceof CommandError) return fail(400, err.message);
      deps.log.error({ err, account: session.jid }, 'upload failed');
      fail(500, 'Something went wrong on this Parley server while sending the file.');
    }
  });
  return router;
}

function reply(res: Response, status: number, body: Result<{ message: MessageDTO } | { url: string }>): void {
  if (res.headersSent) return;
  res.status(status).json(body);
}

function fileName(req: Request): string | null {
  const raw = req.headers['x-file-name'];
  if (typeof raw !== 'string' || raw === '' || raw.length > MAX_NAME_HEADER) return null;
  try {
    const name = decodeURIComponent(raw);
    return name.trim() === '' ? null : name;
  } catch {
    return null;
  }
}

/** Content-Length as a number; null when absent, malformed or chunked (the slot request needs the size first). */
function declaredSize(req: Request): number | null {
  if (req.headers['transfer-encoding']) return null;
  const raw = req.headers['content-length'];
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return null;
  return Number(raw);
}

/** The file's MIME type without parameters, or application/octet-stream when it is missing or odd. */
function contentType(req: Request): string {
  const raw = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/.test(raw) ? raw : 'application/octet-stream';
}
