/** Whether this tab can chat right now: its socket to Parley, Parley's XMPP session, and the database. */
import type { ConnectionState } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';

export type SocketState = 'connecting' | 'connected' | 'disconnected';

export interface ConnectionNotice {
  kind: 'offline' | 'reconnecting' | 'degraded';
  /** The catalog key of its text (client/i18n), and the values it takes. */
  key: 'banner.offline' | 'banner.connecting' | 'banner.xmppOffline' | 'banner.xmppReconnecting' | 'banner.degraded';
  values?: { detail: string };
}

export class ConnectionStore extends Observable {
  socket: SocketState = 'connecting';
  xmpp: ConnectionState = 'connecting';
  degraded = false;
  detail: string | null = null;
  /** Snapshots (hello) received: each one after the first is a reconnect, after which open views reload. */
  hellos = 0;

  helloReceived(): void {
    this.hellos++;
    this.notify();
  }

  setSocket(state: SocketState): void {
    this.socket = state;
    this.notify();
  }

  setXmpp(state: ConnectionState, detail: string | null = null): void {
    this.xmpp = state;
    this.detail = detail;
    this.notify();
  }

  setDegraded(degraded: boolean): void {
    this.degraded = degraded;
    this.notify();
  }

  /** What the banner says, or null when everything works. */
  notice(): ConnectionNotice | null {
    if (this.socket === 'disconnected') return { kind: 'offline', key: 'banner.offline' };
    if (this.socket === 'connecting') return { kind: 'reconnecting', key: 'banner.connecting' };
    if (this.xmpp === 'offline') return { kind: 'offline', key: 'banner.xmppOffline', values: { detail: this.detail ? `${this.detail} ` : '' } };
    if (this.xmpp !== 'online') return { kind: 'reconnecting', key: 'banner.xmppReconnecting' };
    if (this.degraded) return { kind: 'degraded', key: 'banner.degraded' };
    return null;
  }
}
