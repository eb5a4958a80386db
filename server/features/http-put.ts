/**
 * Streams a file to an XEP-0363 slot's PUT URL: exactly `size` bytes, counted on the way (a body that turns out
 * longer is cut off), with the slot's own headers. Nothing is buffered beyond the streams' own small windows.
 */
import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import net from 'node:net';
import { Transform, pipeline, type Readable } from 'node:stream';

export class PutError extends Error {
  constructor(message: string, readonly tooLarge = false) {
    super(message);
  }
}

const PUT_TIMEOUT_MS = 10 * 60_000;

/** Loopback, private, link-local, CGNAT and unspecified addresses: where a hostile XMPP server's slot must not point. */
const PRIVATE = new net.BlockList();
for (const [net4, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) {
  PRIVATE.addSubnet(net4, bits, 'ipv4');
}
for (const [net6, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net6, bits, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is checked as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * dns.lookup that refuses private addresses, used as the request's own lookup: the address checked is the address
 * connected to (no second resolution an attacker's DNS could answer differently).
 */
const publicOnlyLookup: typeof dns.lookup = ((hostname: string, options: dns.LookupOptions, callback: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad || list.length === 0) return callback(new PutError(`the upload address ${hostname} is on a private network`), '');
    if (options.all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}) as typeof dns.lookup;

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
      ...(opts.allowPrivate ? {} : { lookup: publicOnlyLookup }),
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
