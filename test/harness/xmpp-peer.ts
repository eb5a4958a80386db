/**
 * Another XMPP client in tests: a contact on a "different client", or a second client of the same account.
 * Built on Parley's own XmppConnection, logging in straight to the test Prosody.
 */
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { XmppConnection } from '../../server/xmpp/connection.js';
import type { TestXmppServer } from './xmpp-server.js';

export class XmppPeer {
  readonly messages: Element[] = [];
  private waiters: { test: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];

  private constructor(readonly conn: XmppConnection) {
    conn.on('stanza', (el: Element) => {
      if (el.name !== 'message') return;
      this.messages.push(el);
      this.waiters = this.waiters.filter((w) => (w.test(el) ? (w.resolve(el), false) : true));
    });
  }

  static async login(prosody: Pick<TestXmppServer, 'c2sPort'>, jid: string, password: string, resource = `peer-${randomUUID().slice(0, 8)}`): Promise<XmppPeer> {
    const conn = await XmppConnection.open({ jid, password, resource, service: `xmpp://127.0.0.1:${prosody.c2sPort}`, requireTls: false });
    const peer = new XmppPeer(conn);
    await conn.send(xml('presence'));
    return peer;
  }

  get jid(): string {
    return this.conn.jid;
  }

  async enableCarbons(): Promise<void> {
    await this.conn.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
  }

  /** Sends a chat message as ordinary clients do (origin-id, receipt request). Returns its id. */
  async sendChat(to: string, body: string, opts: { id?: string; extra?: Element[] } = {}): Promise<string> {
    const id = opts.id ?? randomUUID();
    await this.conn.sendAcked(
      xml(
        'message',
        { to, type: 'chat', id },
        xml('body', {}, body),
        xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
        ...(opts.extra ?? []),
      ),
    );
    return id;
  }

  async sendRaw(el: Element): Promise<void> {
    await this.conn.sendAcked(el);
  }

  waitForMessage(test: (el: Element) => boolean, timeoutMs = 10_000): Promise<Element> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`peer ${this.conn.bareJid}: no matching message in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ test, resolve: (el) => { clearTimeout(timer); resolve(el); } });
    });
  }

  async stop(): Promise<void> {
    await this.conn.stop();
  }
}
