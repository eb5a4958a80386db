/** Whether this tab can chat right now: its socket to Parley, Parley's XMPP session, and the database. */
import type { ConnectionState } from '../../server/realtime/contract.js';
import { Observable } from './observable.js';

export type SocketState = 'connecting' | 'connected' | 'disconnected';

export interface ConnectionNotice {
  kind: 'offline' | 'reconnecting' | 'degraded';
  text: string;
}

export class ConnectionStore extends Observable {
  socket: SocketState = 'connecting';
  xmpp: ConnectionState = 'connecting';
  degraded = false;
  detail: string | null = null;

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
    if (this.socket === 'disconnected') return { kind: 'offline', text: 'Offline. Reconnecting to Parley…' };
    if (this.socket === 'connecting') return { kind: 'reconnecting', text: 'Connecting to Parley…' };
    if (this.xmpp === 'offline') return { kind: 'offline', text: `Your XMPP server is unreachable.${this.detail ? ` ${this.detail}` : ''} Retrying…` };
    if (this.xmpp !== 'online') return { kind: 'reconnecting', text: 'Reconnecting to your XMPP server…' };
    if (this.degraded) return { kind: 'degraded', text: 'History storage is unavailable: new messages are kept and saved when it returns.' };
    return null;
  }
}
