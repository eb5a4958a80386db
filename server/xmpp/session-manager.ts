/**
 * Account -> its one live XMPP session. Logins of the same account from many tabs and browsers
 * share it; concurrent logins of one account wait for the same connection attempt.
 */
import type { Stores } from '../features/context.js';
import type { Logger } from '../app/logger.js';
import { XmppConnection, type ConnectOptions } from './connection.js';
import { AccountSession, type Broadcaster, type SessionTimers, type SyncSettings } from './account-session.js';
import { PasswordVerifier } from './password-verifier.js';

export type Connect = (opts: ConnectOptions) => Promise<XmppConnection>;

export interface SessionManagerDeps {
  stores: Stores;
  log: Logger;
  broadcaster: Broadcaster;
  timers: SessionTimers;
  sync: SyncSettings;
  maxSessions: number;
  /** domain -> xmpp://host:port, instead of DNS. */
  services: Record<string, string>;
  requireTls: boolean | undefined;
  connect?: Connect;
}

export class LoginError extends Error {
  constructor(readonly condition: 'not-authorized' | 'unreachable' | 'timeout' | 'stream-error' | 'tls-failed' | 'no-mechanism' | 'bad-jid' | 'capacity', message: string) {
    super(message);
  }
}

interface Live {
  session: AccountSession;
  verifier: PasswordVerifier;
}

export class SessionManager {
  private readonly live = new Map<string, Live>(); // by bare JID
  private readonly pending = new Map<string, Promise<Live>>();
  private readonly connect: Connect;

  constructor(private readonly deps: SessionManagerDeps) {
    this.connect = deps.connect ?? ((opts) => XmppConnection.open(opts));
  }

  get size(): number {
    return this.live.size;
  }

  sessions(): AccountSession[] {
    return [...this.live.values()].map((l) => l.session);
  }

  byAccountId(accountId: string): AccountSession | undefined {
    for (const { session } of this.live.values()) if (session.accountId === accountId) return session;
    return undefined;
  }

  /** Logs in, or joins the live session of this account after checking the password. Returns the account id. */
  async login(jid: string, password: string): Promise<AccountSession> {
    const existing = this.live.get(jid) ?? (await this.pending.get(jid)?.catch(() => undefined));
    if (existing && !existing.session.isEnded) {
      if (await existing.verifier.matches(password)) return existing.session;
      // The password may have changed on the XMPP server: only the server can tell.
      const probe = await this.open(jid, password);
      await probe.stop();
      existing.verifier = await PasswordVerifier.of(password);
      return existing.session;
    }
    if (this.live.size + this.pending.size >= this.deps.maxSessions) {
      throw new LoginError('capacity', 'This Parley instance is full right now. Try again later.');
    }
    const attempt = this.start(jid, password);
    this.pending.set(jid, attempt);
    try {
      return (await attempt).session;
    } finally {
      this.pending.delete(jid);
    }
  }

  private async start(jid: string, password: string): Promise<Live> {
    const conn = await this.open(jid, password);
    try {
      const account = await this.deps.stores.accounts.upsert(jid);
      await this.deps.stores.accounts.touchLogin(account.id);
      const session = new AccountSession({
        accountId: account.id,
        jid,
        conn,
        stores: this.deps.stores,
        log: this.deps.log,
        broadcaster: this.deps.broadcaster,
        timers: this.deps.timers,
        sync: this.deps.sync,
        onEnded: (s, reason) => this.onEnded(s, reason),
      });
      await session.start();
      const live = { session, verifier: await PasswordVerifier.of(password) };
      this.live.set(jid, live);
      this.deps.log.info({ account: jid }, 'xmpp session started');
      return live;
    } catch (err) {
      await conn.stop();
      throw err;
    }
  }

  private async open(jid: string, password: string): Promise<XmppConnection> {
    const domain = jid.slice(jid.indexOf('@') + 1);
    try {
      return await this.connect({ jid, password, service: this.deps.services[domain], requireTls: this.deps.requireTls });
    } catch (err) {
      const condition = (err as { condition?: LoginError['condition'] }).condition;
      throw new LoginError(condition ?? 'stream-error', loginMessage(condition, domain));
    }
  }

  private onEnded(session: AccountSession, reason: string): void {
    if (this.live.get(session.jid)?.session === session) this.live.delete(session.jid);
    void this.deps.stores.sessions.destroyAllForAccount(session.accountId).catch((err: unknown) =>
      this.deps.log.error({ err }, 'could not end browser sessions'),
    );
    this.deps.log.info({ account: session.jid, reason }, 'xmpp session ended');
  }

  async logout(accountId: string, reason = 'logout'): Promise<void> {
    await this.byAccountId(accountId)?.end(reason);
  }

  /** Graceful shutdown: close every XMPP session cleanly. */
  async stopAll(reason = 'shutdown'): Promise<void> {
    await Promise.all(this.sessions().map((s) => s.end(reason)));
  }
}

/** What the login page says; the same text for unknown users and wrong passwords (no user enumeration). */
export function loginMessage(condition: string | undefined, domain: string): string {
  switch (condition) {
    case 'not-authorized':
      return 'Wrong address or password.';
    case 'unreachable':
      return `Cannot reach the XMPP server of ${domain}. Check the address, or try again later.`;
    case 'timeout':
      return `The XMPP server of ${domain} did not answer in time. Try again later.`;
    case 'tls-failed':
      return `Could not establish a secure connection to ${domain}.`;
    case 'no-mechanism':
      return `The XMPP server of ${domain} offers no login method Parley can use safely.`;
    case 'bad-jid':
      return 'That is not a valid XMPP address (user@example.org).';
    default:
      return `The XMPP server of ${domain} closed the connection. Try again later.`;
  }
}
