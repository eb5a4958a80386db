import net from 'node:net';

/** The kernel picks a free loopback TCP port (the same helper the embedded PostgreSQL uses). */
export { freePort } from '../../server/store/embedded.js';

/**
 * Resolves once something accepts TCP connections on host:port. `failed` is asked between tries: an error it returns
 * (the server's output said it cannot start) ends the wait at once.
 */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000, failed: () => Error | null = () => null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const error = failed();
    if (error) throw error;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
