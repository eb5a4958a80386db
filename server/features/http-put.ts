/**
 * Streams a file to an XEP-0363 slot's PUT URL: exactly `size` bytes, counted on the way (a body that turns out
 * longer is cut off), with the slot's own headers. Nothing is buffered beyond the streams' own small windows.
 */
import http from 'node:http';
import https from 'node:https';
import { Transform, pipeline, type Readable } from 'node:stream';
import { isPrivateAddress, publicOnlyLookup } from '../net/address-policy.js';

export { isPrivateAddress };

export class PutError extends Error {
  constructor(message: string, readonly tooLarge = false) {
    super(message);
  }
}

const PUT_TIMEOUT_MS = 10 * 60_000;

/** The shared rule (server/net/address-policy.ts): a hostile XMPP server's slot must not point into our network. */
const slotLookup = publicOnlyLookup((hostname) => new PutError(`the upload address ${hostname} is on a private network`));

/** Counts bytes and fails as soon as more than `max` pass. */
export function byteLimit(max: number): Transform & { count: () => number } {
  let count = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      count += chunk.length;
      if (count > max) return done(new PutError(`the file is larger than the ${max} bytes announced`, true));
      done(null, chunk);
    },
  });
  return Object.assign(t, { count: () => count });
}

/**
 * PUTs the body to the slot. On failure the body is unpiped and drained, never destroyed: it is the tab's request,
 * whose socket must still carry our error answer.
 */
export function putFile(opts: {
  url: string;
  headers: Record<string, string>;
  body: Readable;
  size: number;
  type: string;
  /** false: refuse loopback/private/link-local targets (SSRF through a hostile server's slot). */
  allowPrivate: boolean;
  timeoutMs?: number;
}): Promise<void> {
  const url = new URL(opts.url);
  const client = url.protocol === 'https:' ? https : http;
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  // The browser may have given up while we asked for the slot: its request will never send the rest.
  if (opts.body.destroyed || opts.body.readableAborted) return Promise.reject(new PutError('the browser stopped sending the file'));
  if (!opts.allowPrivate && isPrivateAddress(literal)) {
    opts.body.resume();
    return Promise.reject(new PutError(`the upload address ${url.hostname} is on a private network`));
  }
  const counter = byteLimit(opts.size);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      opts.body.off('error', onSourceError).off('close', onSourceClose);
      if (err) {
        opts.body.unpipe(counter);
        opts.body.resume();
        counter.destroy();
        req.destroy();
        reject(err);
      } else resolve();
    };
    const onSourceError = (err: Error) => finish(new PutError(`the browser stopped sending the file (${err.message})`));
    const onSourceClose = () => {
      if (!opts.body.readableEnded) finish(new PutError('the browser stopped sending the file'));
    };
    const req = client.request(url, {
      method: 'PUT',
      headers: { ...opts.headers, 'content-type': opts.type, 'content-length': String(opts.size) },
      timeout: opts.timeoutMs ?? PUT_TIMEOUT_MS,
      ...(opts.allowPrivate ? {} : { lookup: slotLookup }),
    });
    req.on('timeout', () => finish(new PutError('the upload service did not answer in time')));
    req.on('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) res.on('end', () => finish()).on('error', () => finish());
      else finish(new PutError(`the upload service refused the file (HTTP ${status})`, status === 413));
    });
    opts.body.on('error', onSourceError).on('close', onSourceClose);
    opts.body.pipe(counter);
    pipeline(counter, req, (err) => {
      if (err) return finish(err instanceof PutError ? err : new PutError(`the upload did not complete: ${err.message}`));
      if (counter.count() !== opts.size) finish(new PutError(`the upload ended after ${counter.count()} of ${opts.size} bytes`));
    });
  });
}
