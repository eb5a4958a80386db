/**
 * What crosses nodes for a tab or a login whose account's session lives on another node: the tab's hello (the owner
 * attaches it), its commands, its departure, and a password login. Every request goes to all other nodes over the
 * Redis adapter; only the lease holder answers, the others answer null.
 */
import type { ClusterRouting } from '../realtime/gateway.js';
import type { Gateway } from '../realtime/gateway.js';
import type { HelloEvent, Result } from '../realtime/contract.js';
import { LoginError, type LoggedInAccount, type SessionManager } from '../xmpp/session-manager.js';
import type { LeaseStore } from '../store/leases.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { ClusterBus } from './bus.js';

const TOPIC = { hello: 'parley:hello', command: 'parley:command', detach: 'parley:detach', login: 'parley:login' } as const;

type LoginAnswer = { ok: true; accountId: string; jid: string } | { ok: false; condition: LoginError['condition']; message: string };

export class Forwarding implements ClusterRouting {
  constructor(
    private readonly bus: ClusterBus | null,
    private readonly leases: LeaseStore,
    private readonly keeper: LeaseKeeper,
    readonly takeoverWindowMs: number,
  ) {}

  /** The owner's side: answers the requests of other nodes for the sessions this node holds. */
  serve(gateway: Gateway, sessions: SessionManager): void {
    if (!this.bus) return;
    this.bus.serve(TOPIC.hello, async (p: { accountId: string; tabId: string; visible: boolean }) => gateway.helloFor(p.accountId, p.tabId, p.visible));
    this.bus.serve(TOPIC.command, async (p: { accountId: string; tabId: string; name: string; payload: unknown }) => gateway.commandFor(p.accountId, p.tabId, p.name, p.payload));
    this.bus.serve(TOPIC.detach, async (p: { accountId: string; tabId: string }) => gateway.detachFrom(p.accountId, p.tabId));
    this.bus.serve(TOPIC.login, async (p: { jid: string; password: string; remember: boolean }): Promise<LoginAnswer | null> => {
      if (!this.keeper.holds(p.jid)) return null;
      try {
        const session = await sessions.login(p.jid, p.password, { remember: p.remember });
        return { ok: true, accountId: session.accountId, jid: session.jid };
      } catch (err) {
        if (err instanceof LoginError) return { ok: false, condition: err.condition, message: err.message };
        throw err;
      }
    });
  }

  async ownedElsewhere(jid: string): Promise<boolean> {
    const holder = await this.leases.holder(jid);
    return !!holder && holder.node !== this.keeper.node;
  }

  async leasedElsewhere(jid: string): Promise<boolean> {
    const node = await this.leases.nodeOf(jid);
    return node !== null && node !== this.keeper.node;
  }

  remoteHello(accountId: string, tabId: string, visible: boolean): Promise<HelloEvent | null> {
    return this.bus ? this.bus.ask<HelloEvent>(TOPIC.hello, { accountId, tabId, visible }) : Promise.resolve(null);
  }

  remoteCommand(accountId: string, tabId: string, name: string, payload: unknown): Promise<Result<unknown> | null> {
    return this.bus ? this.bus.ask<Result<unknown>>(TOPIC.command, { accountId, tabId, name, payload }) : Promise.resolve(null);
  }

  remoteDetach(accountId: string, tabId: string): void {
    this.bus?.tell(TOPIC.detach, { accountId, tabId });
  }

  /** The password travels to the owner over Redis (keep Redis on a private network); nothing stores it. */
  async loginElsewhere(jid: string, password: string, remember: boolean): Promise<LoggedInAccount | null> {
    const answer = this.bus ? await this.bus.ask<LoginAnswer>(TOPIC.login, { jid, password, remember }) : null;
    if (!answer) return null;
    if (!answer.ok) throw new LoginError(answer.condition, answer.message, 'answered by the node that owns the session');
    return { accountId: answer.accountId, jid: answer.jid };
  }

  unavailableText(): string {
    if (!this.bus) return 'Parley is partly unavailable: another Parley node holds your session and this one cannot reach it (no PARLEY_REDIS_URL). Retrying…';
    return this.bus.redisOk
      ? 'Parley is partly unavailable: the server that holds your session does not answer. Retrying…'
      : 'Parley is partly unavailable: this server cannot reach the others (Redis is unreachable). Retrying…';
  }
}
