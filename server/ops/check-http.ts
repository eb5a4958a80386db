/**
 * Doctor checks through the public URL, as a browser would come in: /healthz answers, the socket.io WebSocket
 * upgrade gets through the reverse proxy (Movim users' most frequent broken set-up), and the clocks agree.
 */
import { io } from 'socket.io-client';
import { fail, pass, type CheckResult } from './check.js';
import { judgeSkew } from './check-database.js';

const NGINX_HINT = 'see docs/deploy/nginx.conf';

export interface PublicUrlProbe {
  result: CheckResult;
  /** Our clock's estimate of when the answer's Date header was made, and that header; null without an answer. */
  clock: { localMs: number; dateHeader: string | null } | null;
}

/** GET <public URL>/healthz. */
export async function probePublicUrl(publicUrl: URL, timeoutMs = 5000): Promise<PublicUrlProbe> {
  const name = 'public URL';
  const url = new URL('/healthz', publicUrl);
  const before = Date.now();
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { accept: 'application/json' } });
  } catch (err) {
    return { result: fail(name, `GET ${url.href}: ${networkProblem(err)}`, networkFix(err, publicUrl)), clock: null };
  }
  const clock = { localMs: (before + Date.now()) / 2, dateHeader: res.headers.get('date') };
  const text = await res.text().catch(() => '');
  if (res.status >= 300 && res.status < 400) {
    const to = res.headers.get('location') ?? '?';
    return { result: fail(name, `GET ${url.href} redirects (${res.status}) to ${to}`, `set PARLEY_PUBLIC_URL to the address people really use (probably ${originOf(to) ?? 'the https:// one'})`), clock };
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    return { result: fail(name, `GET ${url.href}: the proxy answered ${res.status}: it cannot reach Parley`, `start Parley, and point the proxy at PARLEY_HOST:PORT (proxy_pass / reverse_proxy); ${NGINX_HINT}`), clock };
  }
  if (res.status !== 200 || !/"ok"\s*:\s*true/.test(text)) {
    return { result: fail(name, `GET ${url.href}: ${res.status}, and not Parley's answer`, `something else answers at PARLEY_PUBLIC_URL: route the whole site (or at least / and /socket.io/) to Parley`), clock };
  }
  return { result: pass(name, `GET ${url.href} answered 200 in ${Date.now() - before} ms`), clock };
}

/** The public URL's Date header against our clock; whole seconds, so a second of slack on top of the tolerance. */
export function checkHttpClock(clock: PublicUrlProbe['clock'], toleranceMs = 5000): CheckResult {
  const name = 'clock: public URL';
  if (!clock?.dateHeader) return fail(name, 'no Date header to compare with (the public URL did not answer, or sent none)', 'fix the public URL check first');
  const remote = Date.parse(clock.dateHeader);
  if (Number.isNaN(remote)) return fail(name, `unreadable Date header "${clock.dateHeader}"`, 'the proxy rewrites the Date header: leave it alone');
  // The header is truncated to the second: compare with the middle of that second.
  return judgeSkew(name, 'the Date header of the public URL', remote + 500 - clock.localMs, toleranceMs + 500);
}

/**
 * Opens a socket.io connection through the public URL with the WebSocket transport only and the public URL as
 * Origin, as a tab would. Parley then either accepts the socket or (no session cookie) sends 'logout'
 * {reason:'not-logged-in'}: both prove the upgrade went through.
 */
export function checkWebsocketUpgrade(publicUrl: URL, timeoutMs = 5000): Promise<CheckResult> {
  const name = 'websocket';
  const target = new URL('/socket.io/', publicUrl).href;
  return new Promise((resolve) => {
    const socket = io(publicUrl.origin, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
      extraHeaders: { origin: publicUrl.origin },
    });
    let done = false;
    const finish = (result: CheckResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const ok = (how: string) => pass(name, `WebSocket upgrade through ${target} works (${how})`);
    const timer = setTimeout(
      () => finish(fail(name, `no socket.io answer through ${target} within ${timeoutMs} ms`, upgradeFix)),
      timeoutMs + 500,
    );
    socket.on('logout', (e: { reason?: string }) => finish(ok(`Parley answered 'logout' ${e?.reason ?? ''}`.trim())));
    socket.on('connect', () => setTimeout(() => finish(ok('socket accepted')), 200));
    socket.on('connect_error', (err: Error & { description?: unknown }) => {
      // The websocket transport's description is ws's ErrorEvent (an object with the message), not an Error.
      const d = err.description as { message?: unknown } | string | undefined;
      const inner = typeof d === 'string' ? d : typeof d?.message === 'string' ? d.message : '';
      const status = Number(/Unexpected server response: (\d{3})/.exec(inner)?.[1] ?? NaN);
      if (status === 400 || status === 426 || status === 403) {
        // engine.io answers 400 both to a WebSocket request that lost its Upgrade header in a proxy and to an upgrade
        // from a refused Origin: a polling handshake with the same Origin tells them apart (403 only for the Origin).
        void originRefused(publicUrl, timeoutMs).then((refused) =>
          finish(
            refused
              ? fail(name, `Parley refused the socket's Origin ${publicUrl.origin} (HTTP 403 on the polling handshake)`, originFix)
              : fail(name, `the upgrade to WebSocket was refused (HTTP ${status}): the proxy does not pass WebSocket upgrades to ${target}`, upgradeFix),
          ),
        );
        return;
      }
      if (status === 404) {
        return finish(fail(name, `${target} is not found (404): the proxy does not route /socket.io/ to Parley`, `add a location /socket.io/ that proxies to Parley; ${NGINX_HINT}`));
      }
      if (status === 502 || status === 503 || status === 504) {
        return finish(fail(name, `the proxy answered ${status} for ${target}: it cannot reach Parley`, `start Parley and check the proxy's upstream address; ${NGINX_HINT}`));
      }
      if (err.message === 'timeout') return finish(fail(name, `no socket.io answer through ${target} within ${timeoutMs} ms`, upgradeFix));
      finish(fail(name, `${target}: ${inner || err.message}`, Number.isNaN(status) ? 'fix the public URL check first' : upgradeFix));
    });
  });
}

const originFix = 'PARLEY_PUBLIC_URL must be exactly the address in the browser (scheme, host, port), and the proxy must not rewrite the Origin header';

async function originRefused(publicUrl: URL, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(new URL('/socket.io/?EIO=4&transport=polling', publicUrl), { headers: { origin: publicUrl.origin }, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 403;
  } catch {
    return false;
  }
}

const upgradeFix = `pass WebSocket upgrades for /socket.io/: in nginx \`proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";\` (and a proxy_read_timeout longer than 25 s); ${NGINX_HINT}`;

function networkProblem(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if ((err as Error).name === 'TimeoutError') return 'no answer (timeout)';
  return cause?.code ? `${cause.code}${cause.message ? ` (${cause.message})` : ''}` : (err as Error).message;
}

function networkFix(err: unknown, publicUrl: URL): string {
  const code = (err as { cause?: { code?: string } }).cause?.code ?? '';
  if (code === 'ECONNREFUSED') return `nothing listens at ${publicUrl.host}: start Parley (or the proxy in front of it), or fix PARLEY_PUBLIC_URL`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the name ${publicUrl.hostname} does not resolve: add its DNS record, or fix PARLEY_PUBLIC_URL`;
  if (/CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return 'the HTTPS certificate is not valid for this name: renew it (certbot / Caddy do this), or fix PARLEY_PUBLIC_URL';
  if ((err as Error).name === 'TimeoutError') return 'a firewall or a stuck proxy is in the way: check ports 80/443 and the proxy';
  return 'check PARLEY_PUBLIC_URL and that the proxy in front of Parley is running';
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
