/**
 * Who may read operational endpoints (/metrics, the admin API): a process on this machine talking to Parley
 * directly, or whoever presents the configured Bearer token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopbackAddress(address: string | undefined): boolean {
  return !!address && LOOPBACK.test(address);
}

/**
 * True only for a request from this machine that did not pass through a reverse proxy. A proxy on the same host
 * also connects from 127.0.0.1, so the peer address alone would let the whole internet in through it: any
 * forwarding header (which nginx, Caddy and the like add) marks the request as proxied.
 */
export function isDirectLoopback(req: IncomingMessage): boolean {
  const proxied = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host'].some((h) => req.headers[h] !== undefined);
  return !proxied && isLoopbackAddress(req.socket.remoteAddress);
}

/** `Authorization: Bearer <token>`, compared in constant time. */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  // Hashing first makes the lengths equal, as timingSafeEqual requires, without leaking the token's length.
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}
