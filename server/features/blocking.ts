/**
 * Blocking Command (XEP-0191): the account's blocklist, fetched at the start of every XMPP session when the server
 * offers it (disco#info of our own domain), kept current by the pushes the server sends for changes made by this or
 * another client, and told to the tabs as `blocklist` on every change. AccountSession drops what a blocked JID sends,
 * even where the server does not (a list can be stale for a moment, and some servers do not implement it).
 */
import { xml, type Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import { NS } from '../stanza/ns.js';
import { NS_DISCO_INFO } from '../stanza/caps.js';
import { buildDiscoInfo } from '../stanza/http-upload.js';
import {
  BLOCKLIST_MAX, buildBlock, buildBlocklistGet, buildUnblock, matchesBlocklist, normaliseBlockedJid, parseBlockingPush, parseBlocklistResult,
} from '../stanza/blocking.js';
import { XmppStanzaError } from '../xmpp/errors.js';
import { CommandError } from './messages.js';
import type { BlocklistDTO } from '../realtime/contract.js';

/** How long a session start waits for the disco answer and the list (a hostile or slow server must not hold the login). */
const SYNC_TIMEOUT_MS = 10_000;

export class Blocking {
  private readonly blocked = new Set<string>();
  private readonly listeners: ((jid: string, by: 'us' | 'push') => void)[] = [];
  /** Whether the server offers XEP-0191 (known after the first sync). */
  supported = false;

  constructor(private readonly ctx: SessionContext) {
    ctx.conn.onIq('set', NS.blocking, (iq) => this.onPush(iq));
  }

  list(): string[] {
    return [...this.blocked].sort();
  }

  /** Whether a bare JID is blocked: itself, or its whole domain. */
  isBlocked(bareJid: string): boolean {
    return this.blocked.size > 0 && matchesBlocklist(this.blocked, bareJid);
  }

  /** Called for each JID that becomes blocked; `by`: our own command, or a push (another client, or ours echoed). */
  onBlocked(listener: (jid: string, by: 'us' | 'push') => void): void {
    this.listeners.push(listener);
  }

  /** A fresh XMPP session: ask whether the server blocks at all, then for the list. */
  async sync(): Promise<void> {
    const domain = this.ctx.jid.slice(this.ctx.jid.indexOf('@') + 1);
    try {
      const info = await this.ctx.conn.iq(buildDiscoInfo(domain), SYNC_TIMEOUT_MS);
      this.supported = !!info.getChild('query', NS_DISCO_INFO)?.getChildren('feature').some((f) => f.attrs.var === NS.blocking);
      if (!this.supported) {
        // Told even when the list stays empty: the tabs learn that blocking is not offered.
        if (!this.replace([])) this.changed();
        return;
      }
      const result = parseBlocklistResult(await this.ctx.conn.iq(buildBlocklistGet(), SYNC_TIMEOUT_MS));
      if (!result) throw new Error('the blocklist result has no <blocklist/>');
      if (result.truncated) this.ctx.log.warn({ kept: BLOCKLIST_MAX }, 'blocklist longer than Parley keeps');
      this.replace(result.jids);
    } catch (err) {
      // The stored list of the previous session stays: better stale than empty.
      this.ctx.log.warn({ err }, 'blocklist not fetched');
    }
  }

  async block(raw: string): Promise<void> {
    const jid = this.checked(raw);
    if (jid === this.ctx.jid) throw new CommandError('You cannot block yourself.');
    if (!this.blocked.has(jid) && this.blocked.size >= BLOCKLIST_MAX) throw new CommandError(`At most ${BLOCKLIST_MAX} blocked addresses.`);
    await this.ctx.conn.iq(buildBlock([jid]));
    // The server pushes the change to every interested resource, ours too; apply it now so the tab sees it at once.
    this.add([jid], 'us');
  }

  async unblock(raw: string): Promise<void> {
    const jid = this.checked(raw);
    await this.ctx.conn.iq(buildUnblock([jid]));
    this.remove([jid]);
  }

  private checked(raw: string): string {
    if (!this.supported) throw new CommandError('Your XMPP server does not support blocking (XEP-0191).');
    const jid = normaliseBlockedJid(raw);
    if (!jid) throw new CommandError('That is not an XMPP address.');
    return jid;
  }

  /**
   * Like a roster push (RFC 6121 §2.1.6), legitimate only from our own bare JID or without 'from'; anything else is
   * not applied and answered <service-unavailable/>, so the sender learns nothing. A valid push gets an empty result.
   */
  private onPush(iq: Element): Element {
    const push = parseBlockingPush(iq, this.ctx.jid);
    if (!push) throw new XmppStanzaError('bad-request', 'modify');
    switch (push.kind) {
      case 'foreign':
        this.ctx.log.warn({ from: push.from }, 'blocklist push from a foreign entity ignored');
        throw new XmppStanzaError('service-unavailable', 'cancel');
      case 'invalid':
        this.ctx.log.warn({ reason: push.reason }, 'malformed blocklist push');
        throw new XmppStanzaError('bad-request', 'modify');
      case 'block':
        this.add(push.jids, 'push');
        break;
      case 'unblock':
        this.remove(push.jids);
        break;
      case 'unblock-all':
        this.replace([]);
        break;
    }
    return xml('iq', { type: 'result' });
  }

  private add(jids: string[], by: 'us' | 'push'): void {
    const added: string[] = [];
    for (const jid of jids) {
      if (this.blocked.has(jid)) continue;
      if (this.blocked.size >= BLOCKLIST_MAX) break;
      this.blocked.add(jid);
      added.push(jid);
    }
    if (added.length === 0) return;
    this.changed();
    for (const jid of added) for (const listener of this.listeners) listener(jid, by);
  }

  private remove(jids: string[]): void {
    let removed = false;
    for (const jid of jids) removed = this.blocked.delete(jid) || removed;
    if (removed) this.changed();
  }

  /** Replaces the list; true when it changed (and the tabs were told). */
  private replace(jids: string[]): boolean {
    const before = this.list().join('\n');
    this.blocked.clear();
    for (const jid of jids) this.blocked.add(jid);
    if (this.list().join('\n') === before) return false;
    this.changed();
    return true;
  }

  snapshot(): BlocklistDTO {
    return { jids: this.list(), supported: this.supported };
  }

  private changed(): void {
    this.ctx.emit('blocklist', this.snapshot());
  }
}
