/** The connection banner: visible while the tab, Parley's XMPP session or the database has a problem. */
import type { ConnectionStore } from '../state/connection.js';
import { batched } from './dom.js';

export function mountBanner(connection: ConnectionStore, banner: HTMLElement): void {
  const render = (): void => {
    const notice = connection.notice();
    banner.hidden = notice === null;
    banner.className = `banner${notice ? ` banner-${notice.kind}` : ''}`;
    banner.textContent = notice?.text ?? '';
  };
  connection.subscribe(batched(render));
  render();
}
