/**
 * What a reverse proxy in front of Parley must get right, checked the way an admin's users would meet it:
 * /healthz answers, the doctor's WebSocket check passes, a login and a socket.io tab work through it, and the
 * machine-only routes (/metrics, the admin CLI's API) are hidden. Shared by the nginx and Caddy tests.
 */
import assert from 'node:assert/strict';
import type { TestStack } from './parley.js';
import { HttpBrowser } from './parley.js';
import { checkWebsocketUpgrade, probePublicUrl } from '../../server/ops/check-http.js';

export async function assertParleyWorksThrough(stack: TestStack, publicUrl: URL, proxy: string): Promise<void> {
  const health = await probePublicUrl(publicUrl, 3000);
  assert.equal(health.result.ok, true, health.result.detail);
  const ws = await checkWebsocketUpgrade(publicUrl, 3000);
  assert.equal(ws.ok, true, `${ws.detail} / ${ws.fix}`);
  assert.match(ws.detail, /not-logged-in/);

  // A real tab through the proxy: login form, cookie, socket.io over WebSocket.
  const user = await stack.newUser('proxied');
  const browser = new HttpBrowser(publicUrl.origin);
  assert.equal((await browser.login(user.jid, user.password)).status, 303);
  const tab = browser.tab();
  try {
    await tab.waitFor('hello');
  } finally {
    tab.close();
  }

  assert.equal((await fetch(new URL('/metrics', publicUrl))).status, 404, `${proxy} hides /metrics`);
  assert.equal((await fetch(new URL('/admin/api/sessions', publicUrl))).status, 404, `${proxy} hides the admin API`);
}
