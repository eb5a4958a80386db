/** The connection banner: visible while the tab, Parley's XMPP session or the database has a problem. */
import type { ConnectionStore } from '../state/connection.js';
import { batched } from './dom.js';

/** A page load normally connects within this time: showing "Connecting…" earlier would only flash. */
const FIRST_CONNECT_GRACE_MS = 1500;

export function mountBanner(connection: ConnectionStore, banner: HTMLElement): void {
  const loadedAt = Date.now();
  let graceTimer: ReturnType<typeof setTimeout> | null = null;
  const render = (): void => {
    const notice = connection.notice();
    const inGrace = connection.socket === 'connecting' && Date.now() - loadedAt < FIRST_CONNECT_GRACE_MS;
    if (inGrace && graceTimer === null) graceTimer = setTimeout(render, FIRST_CONNECT_GRACE_MS);
    const shown = inGrace ? null : notice;
    banner.hidden = shown === null;
    banner.className = `banner${shown ? ` banner-${shown.kind}` : ''}`;
    banner.textContent = shown?.text ?? '';
  };
  connection.subscribe(batched(render));
  render();
}
