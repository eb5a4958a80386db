/** Every stanza a connection receives, with waiting for one that matches (no sleeps). */
import type { Element } from '@xmpp/xml';

/** Anything that emits received stanzas (an XmppConnection, a peer's connection). */
interface StanzaSource {
  on(event: 'stanza', listener: (el: Element) => void): unknown;
}

export class Inbox {
  readonly seen: Element[] = [];
  private waiters: { test: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  constructor(conn: StanzaSource) {
    conn.on('stanza', (el: Element) => {
      this.seen.push(el);
      this.waiters = this.waiters.filter((w) => (w.test(el) ? (w.resolve(el), false) : true));
    });
  }
  /** The first stanza seen so far or arriving within `timeoutMs` that passes `test`. */
  next(test: (el: Element) => boolean, what: string, timeoutMs = 10_000): Promise<Element> {
    const had = this.seen.find(test);
    if (had) return Promise.resolve(had);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ test, resolve: (el) => { clearTimeout(timer); resolve(el); } });
    });
  }
}
