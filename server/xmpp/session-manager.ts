/**
 * Account -> its one live XMPP session. Logins of the same account from many tabs and browsers
 * share it; concurrent logins of one account wait for the same connection attempt.
 */
import type { AvatarCache } from '../features/avatars.js';
import type { Stores } from '../features/context.js';
import type { Logger } from '../app/logger.js';
import { XmppConnection, type ConnectOptions, type ScramKeys } from './connection.js';
import { AccountSession, type Broadcaster, type SessionTimers, type SyncSettings } from './account-session.js';
import { PasswordVerifier, ScramVerifier, type Verifier } from './password-verifier.js';
import { GateBusy, LoginGate } from './login-gate.js';
import type { CredentialVault } from './credential-vault.js';
import { unreachableMessage } from './errors.js';
import { translateEn, type ServerTranslate } from '../../client/i18n/english.js';
import { NoEndpoint } from './endpoints.js';
import { XmppStanzaError } from './errors.js';
import { buildAccountRemove, buildPasswordChange, MAX_PASSWORD_LENGTH, parseAccountChangeError } from '../stanza/register.js';
import type { BrowserSessionRow } from '../store/sessions.js';

export type EndReason = 'logout' | 'idle' | 'admin' | 'connection-lost' | 'shutdown' | 'account-deleted' | 'fenced';

/** What a login hands the HTTP layer: the session itself, or (another node owns it) who it belongs to. */
export type LoggedInAccount = Pick<AccountSession, 'accountId' | 'jid'>;

/**
 * Who owns which session when several Parley nodes share the database (server/cluster/): a lease is taken before an
 * XMPP connection opens and given up when the session ends; a login of an account owned elsewhere goes to its owner.
 */
export interface SessionOwnership {
  claim(jid: string): Promise<'ours' | 'elsewhere' | 'capacity'>;
  /** The session ended with `reason` ('failed': it never started). */
  release(jid: string, reason: EndReason | 'failed'): void;
  /** A session started here: tabs that belonged to a previous owner are attached to it. */
  started(session: AccountSession): void;
  ownedElsewhere(jid: string): Promise<boolean>;
  /** The owner checks the password (and seals the keys); null when no owner answered. Its LoginError is rethrown. */
  loginElsewhere(jid: string, password: string, remember: boolean): Promise<LoggedInAccount | null>;
  /** How long a login waits for a silent owner's lease to expire and be taken over. */
  readonly takeoverWindowMs: number;
}

/** Another live node owns the account's session (its lease). */
class OwnedElsewhere extends Error {}

/** Why a password change or an account deletion did not happen (the /account page says it in words). */
export class AccountChangeError extends Error {
  constructor(
    readonly reason: 'no-session' | 'wrong-password' | 'empty' | 'too-long' | 'invalid-characters' | 'address-mismatch' | 'not-allowed' | 'not-acceptable' | 'failed',
    /** the XMPP server's own explanation, if any (untrusted: render as text) */
    readonly serverText: string | null = null,
  ) {
    super(reason);
  }
}

/** Characters XML 1.0 cannot carry (controls, U+FFFE/U+FFFF, lone surrogates). */
const NOT_IN_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

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
  /** What the XMPP servers may send (stanza bounds, rate) and the login timeout, for every connection. */
  guards?: Pick<ConnectOptions, 'limits' | 'stanzaRate' | 'roomPresenceRate' | 'timeoutMs'>;
  /** Waiting inbound stanzas per account past which its socket stops being read (back-pressure). */
  inboundQueueLimit?: number;
  vault: CredentialVault;
  /** Admission control: XMPP logins in flight and waiting (PARLEY_LOGIN_CONCURRENCY / PARLEY_LOGIN_QUEUE); default unbounded. */
  gate?: LoginGate;
  /** Sessions restored side by side at start-up (PARLEY_RESTORE_CONCURRENCY). */
  restoreConcurrency?: number;
  /** The process's avatar cache, shared by every session. */
  avatars?: AvatarCache;
  connect?: Connect;
  /** Several nodes: leases and forwarded logins. Without it, this process owns every session it opens. */
  ownership?: SessionOwnership;
}

export class LoginError extends Error {
  constructor(
    readonly condition: 'not-authorized' | 'unreachable' | 'timeout' | 'stream-error' | 'tls-failed' | 'no-mechanism' | 'bad-jid' | 'capacity' | 'busy',
    message: string,
    /** for the log: what really happened (an address refused, the connection error); never shown to the browser */
    readonly detail?: string,
    /** the address policy refused where this domain points (loopback, private): worth a warning in the log */
    readonly addressRefused = false,
    /** 'busy': when the login gate expects room again (the 503's Retry-After) */
    readonly retryAfterSeconds = 0,
  ) {
    super(message);
  }
}

interface Live {
  session: AccountSession;
  /** Null for a session restored from sealed SCRAM keys: the first password login sets it. */
  verifier: Verifier | null;
}

export class SessionManager {
  private readonly live = new Map<string, Live>(); // by bare JID
  private readonly pending = new Map<string, Promise<Live>>();
  private readonly connect: Connect;
  readonly gate: LoginGate;

  constructor(private readonly deps: SessionManagerDeps) {
    this.connect = deps.connect ?? ((opts) => XmppConnection.open(opts));
    this.gate = deps.gate ?? new LoginGate({ concurrency: Infinity, queue: Infinity });
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

  /**
   * Logs in, or joins the live session of this account after checking the password.
   * With `remember`, the SCRAM keys of this login are sealed and stored, so the session can come back
   * after a restart without the password.
   */
  async login(jid: string, password: string, opts: { remember?: boolean } = {}): Promise<LoggedInAccount> {
    const deadline = Date.now() + (this.deps.ownership?.takeoverWindowMs ?? 0);
    for (;;) {
      let launched: { live: Live; ours: boolean };
      try {
        launched = await this.launch(jid, () => this.start(jid, { password }), true);
      } catch (err) {
        if (!(err instanceof OwnedElsewhere)) throw err;
        const there = await this.deps.ownership!.loginElsewhere(jid, password, !!opts.remember);
        if (there) return there;
        const domain = jid.slice(jid.indexOf('@') + 1);
        if (Date.now() > deadline) throw new LoginError('timeout', loginMessage('timeout', domain), 'the node that owns the session does not answer');
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      // A session this login did not start (live, restored, or another login's) is joined with the password checked.
      if (!launched.ours) await this.checkPassword(jid, launched.live, password);
      if (opts.remember) await this.remember(launched.live.session);
      return launched.live.session;
    }
  }

  /** First password login to a restored session, or the password changed on the XMPP server: only the server can tell. */
  private async checkPassword(jid: string, live: Live, password: string): Promise<void> {
    if (live.verifier && (await live.verifier.matches(password))) return;
    const probe = await this.admit(jid, () => this.open(jid, { password }), true);
    const keys = probe.scramKeys();
    await probe.stop();
    live.verifier = keys ? new ScramVerifier(keys) : await PasswordVerifier.of(password);
  }

  /** The account's session wherever it lives: here, restored here, or on the node that owns it (null: none). */
  async liveAnywhere(accountId: string, jid: string | undefined): Promise<{ jid: string; isEnded: boolean } | null> {
    const here = this.byAccountId(accountId);
    if (here) return here;
    if (jid && (await this.deps.ownership?.ownedElsewhere(jid))) return { jid, isEnded: false };
    return this.restore(accountId);
  }

  /** Brings back the session of an account from its sealed credentials. Null when there are none (or they no longer work). */
  async restore(accountId: string): Promise<AccountSession | null> {
    return (await this.tryRestore(accountId, true)).session;
  }

  /**
   * `retry` = the failure may pass (server busy or away), as opposed to "no credentials" or "password changed".
   * `bounded`: a browser's visit, refused with LoginError 'busy' when the login gate is full; start-up restores wait.
   */
  private async tryRestore(accountId: string, bounded: boolean): Promise<{ session: AccountSession | null; retry: boolean }> {
    const live = this.byAccountId(accountId);
    if (live) return { session: live, retry: false };
    // Read now, not from restoreAll's list: a logout meanwhile has cleared the credential.
    const account = await this.deps.stores.accounts.byId(accountId);
    if (!account?.credential) return { session: null, retry: false };
    const scramKeys = this.deps.vault.open(account.id, account.credential);
    if (!scramKeys) return { session: null, retry: false };
    try {
      return { session: (await this.launch(account.jid, () => this.start(account.jid, { scramKeys }), bounded)).live.session, retry: false };
    } catch (err) {
      if (err instanceof OwnedElsewhere) return { session: null, retry: false };
      if (err instanceof LoginError && err.condition === 'busy') throw err;
      if (err instanceof LoginError && err.condition === 'not-authorized') {
        // The password changed since: the sealed keys are worthless now.
        await this.deps.stores.accounts.setCredential(account.id, null);
        return { session: null, retry: false };
      }
      this.deps.log.warn({ account: account.jid, err }, 'session restore failed');
      return { session: null, retry: !(err instanceof LoginError && err.condition === 'capacity') };
    }
  }

  /**
   * At start-up: every account with sealed credentials gets its XMPP session back, `concurrency` at a time (a pool:
   * each finished restore starts the next, so one slow account does not hold up a batch). They pass the login gate
   * without being refused. Failures that may pass (a busy or restarting XMPP server) are retried with backoff.
   */
  async restoreAll(concurrency = this.deps.restoreConcurrency ?? 32, attempts = 6): Promise<number> {
    let todo = (await this.deps.stores.accounts.listWithCredentials()).map((a) => a.id);
    let restored = 0;
    for (let attempt = 0; attempt < attempts && todo.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2)));
      const again: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < todo.length) {
          const id = todo[next++]!;
          const r = await this.tryRestore(id, false);
          if (r.session) restored++;
          else if (r.retry) again.push(id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
      todo = again;
    }
    return restored;
  }

  private async remember(session: AccountSession): Promise<void> {
    const keys = session.conn.scramKeys();
    if (!keys) {
      this.deps.log.info({ account: session.jid }, 'no SCRAM keys from this login: cannot remember it');
      return;
    }
    await this.deps.stores.accounts.setCredential(session.accountId, this.deps.vault.seal(session.accountId, keys));
  }

  /**
   * Starts the account's session unless one is live or on its way: then that one (`ours` false). Every start goes
   * through here, so a restore and a takeover (or a login) that raced past their own checks never open a second
   * XMPP connection for the account.
   */
  private async launch(jid: string, start: () => Promise<Live>, bounded: boolean): Promise<{ live: Live; ours: boolean }> {
    for (;;) {
      const existing = this.live.get(jid);
      if (existing && !existing.session.isEnded) return { live: existing, ours: false };
      const pending = this.pending.get(jid);
      if (!pending) break;
      // Another start failed: this caller tries on its own (a login with its password, a restore with its keys).
      const live = await pending.catch(() => null);
      if (live && !live.session.isEnded) return { live, ours: false };
    }
    if (this.live.size + this.pending.size >= this.deps.maxSessions) {
      throw new LoginError('capacity', loginMessage('capacity', jid.slice(jid.indexOf('@') + 1)));
    }
    const attempt = this.admit(jid, () => this.claimed(jid, start), bounded);
    this.pending.set(jid, attempt);
    try {
      return { live: await attempt, ours: true };
    } finally {
      this.pending.delete(jid);
    }
  }

  /** Takes the account's lease (several nodes) before `start` opens its XMPP connection; gives it up if that fails. */
  private async claimed(jid: string, start: () => Promise<Live>): Promise<Live> {
    const ownership = this.deps.ownership;
    if (!ownership) return start();
    const claim = await ownership.claim(jid);
    if (claim === 'elsewhere') throw new OwnedElsewhere(jid);
    if (claim === 'capacity') throw new LoginError('capacity', loginMessage('capacity', jid.slice(jid.indexOf('@') + 1)));
    try {
      const live = await start();
      ownership.started(live.session);
      return live;
    } catch (err) {
      ownership.release(jid, 'failed');
      throw err;
    }
  }

  /** Through the login gate: a full gate is LoginError 'busy' (the login page: "busy, try again"). */
  private async admit<T>(jid: string, task: () => Promise<T>, bounded: boolean): Promise<T> {
    try {
      return await this.gate.run(task, { bounded });
    } catch (err) {
      if (!(err instanceof GateBusy)) throw err;
      throw new LoginError('busy', loginMessage('busy', jid.slice(jid.indexOf('@') + 1)), 'login gate full', false, err.retryAfterSeconds);
    }
  }

  private async start(jid: string, secret: { password: string } | { scramKeys: ScramKeys }): Promise<Live> {
    const conn = await this.open(jid, secret);
    try {
      const account = await this.deps.stores.accounts.upsertLoggedIn(jid);
      const session = new AccountSession({
        accountId: account.id,
        jid,
        conn,
        stores: this.deps.stores,
        log: this.deps.log,
        broadcaster: this.deps.broadcaster,
        timers: this.deps.timers,
        sync: this.deps.sync,
        ...(this.deps.avatars ? { avatars: this.deps.avatars } : {}),
        ...(this.deps.inboundQueueLimit ? { inboundQueueLimit: this.deps.inboundQueueLimit } : {}),
        onEnded: (s, reason) => this.onEnded(s, reason),
        // Idle ends the XMPP session only: a remembered browser brings it back on its next visit.
        onIdle: (s) => void s.end('idle'),
      });
      await session.start();
      // Other browsers join with the password checked against this login's SCRAM keys (no second, costlier hash).
      const keys = conn.scramKeys();
      const live = { session, verifier: 'password' in secret ? (keys ? new ScramVerifier(keys) : await PasswordVerifier.of(secret.password)) : null };
      this.live.set(jid, live);
      this.deps.log.info({ account: jid }, 'xmpp session started');
      return live;
    } catch (err) {
      await conn.stop();
      throw err;
    }
  }

  private async open(jid: string, secret: { password: string } | { scramKeys: ScramKeys }): Promise<XmppConnection> {
    const domain = jid.slice(jid.indexOf('@') + 1);
    try {
      return await this.connect({ jid, ...secret, ...this.deps.guards, service: this.deps.services[domain], requireTls: this.deps.requireTls });
    } catch (err) {
      const condition = (err as { condition?: LoginError['condition'] }).condition;
      const cause = (err as { cause?: unknown }).cause;
      const refused = cause instanceof NoEndpoint && cause.refused.length > 0;
      throw new LoginError(condition ?? 'stream-error', loginMessage(condition, domain), err instanceof Error ? err.message : String(err), refused);
    }
  }

  private onEnded(session: AccountSession, reason: EndReason): void {
    if (this.live.get(session.jid)?.session === session) {
      this.live.delete(session.jid);
      this.deps.ownership?.release(session.jid, reason);
    }
    this.deps.log.info({ account: session.jid, reason }, 'xmpp session ended');
  }

  /** Ends the account's session everywhere: XMPP, every tab, every browser session, the remembered credentials. */
  async logout(accountId: string, reason: EndReason = 'logout'): Promise<void> {
    await this.byAccountId(accountId)?.end(reason);
    await this.forget(accountId);
  }

  private async forget(accountId: string): Promise<void> {
    await this.deps.stores.accounts.setCredential(accountId, null);
    await this.deps.stores.sessions.destroyAllForAccount(accountId);
  }

  // ---------------------------------------------------------------- the account's own management (/account)

  /**
   * Whether `password` is the account's current password: the in-memory verifier when it knows it, otherwise (a
   * restored session, or the password changed elsewhere) a login to the XMPP server, which alone can tell.
   */
  async verifyPassword(accountId: string, password: string): Promise<boolean> {
    const session = this.byAccountId(accountId);
    const live = session && this.live.get(session.jid);
    if (!session || !live) throw new AccountChangeError('no-session');
    if (!password || password.length > MAX_PASSWORD_LENGTH) return false;
    if (live.verifier && (await live.verifier.matches(password))) return true;
    let keys: ScramKeys | null;
    try {
      const probe = await this.open(session.jid, { password });
      keys = probe.scramKeys();
      await probe.stop();
    } catch (err) {
      if (err instanceof LoginError && err.condition === 'not-authorized') return false;
      throw new AccountChangeError('failed');
    }
    live.verifier = keys ? new ScramVerifier(keys) : await PasswordVerifier.of(password);
    return true;
  }

  /**
   * XEP-0077 password change on the account's own server, after checking the current password. Then what Parley keeps
   * follows: the live connection re-logs in with SCRAM keys of the new password (taken from a login with it, so no
   * password stays in memory), the verifier for other browsers, and the sealed keys of "keep me signed in".
   */
  async changePassword(accountId: string, current: string, next: string): Promise<void> {
    if (next.length === 0) throw new AccountChangeError('empty');
    if (next.length > MAX_PASSWORD_LENGTH) throw new AccountChangeError('too-long');
    // XML cannot carry these: sent in <password/>, they would break the stream rather than change anything.
    if (NOT_IN_XML.test(next)) throw new AccountChangeError('invalid-characters');
    if (!(await this.verifyPassword(accountId, current))) throw new AccountChangeError('wrong-password');
    const session = this.byAccountId(accountId);
    const live = session && this.live.get(session.jid);
    if (!session || !live) throw new AccountChangeError('no-session');
    const at = session.jid.indexOf('@');
    try {
      await session.conn.iq(buildPasswordChange(session.jid.slice(at + 1), session.jid.slice(0, at), next));
    } catch (err) {
      throw this.refusal(err);
    }
    // From here on the old password no longer works anywhere: a reconnect must not use the old keys.
    session.conn.replaceCredentials({ password: next });
    live.verifier = await PasswordVerifier.of(next);
    let keys: ScramKeys | null = null;
    try {
      const probe = await this.open(session.jid, { password: next });
      keys = probe.scramKeys();
      await probe.stop();
    } catch (err) {
      this.deps.log.warn({ account: session.jid, err }, 'login with the new password failed; the next reconnect will try it');
    }
    if (keys) session.conn.replaceCredentials({ scramKeys: keys });
    const account = await this.deps.stores.accounts.byId(accountId);
    if (account?.credential) await this.deps.stores.accounts.setCredential(accountId, keys ? this.deps.vault.seal(accountId, keys) : null);
    this.deps.log.info({ account: session.jid }, 'password changed');
  }

  /**
   * XEP-0077 account removal, only when `typedJid` is the account's address and the password is right. Then the session
   * ends in every tab and browser ('account-deleted') and everything Parley stored for the account is deleted.
   */
  async deleteAccount(accountId: string, typedJid: string, password: string): Promise<void> {
    const session = this.byAccountId(accountId);
    if (!session) throw new AccountChangeError('no-session');
    if (typedJid.trim().toLowerCase() !== session.jid.toLowerCase()) throw new AccountChangeError('address-mismatch');
    if (!(await this.verifyPassword(accountId, password))) throw new AccountChangeError('wrong-password');
    await session.whileRemoving(async () => {
      try {
        await session.conn.iq(buildAccountRemove(session.jid.slice(session.jid.indexOf('@') + 1)));
      } catch (err) {
        // The server may close the stream right after removing the account, before its answer is read: ask it.
        if (err instanceof XmppStanzaError && err.stanza) throw this.refusal(err);
        if (await this.verifyAbsent(session.jid, password)) this.deps.log.info({ account: session.jid }, 'account removal answer lost; the account is gone');
        else throw this.refusal(err);
      }
      await session.end('account-deleted');
    });
    await this.deps.stores.accounts.delete(accountId);
    this.deps.log.info({ account: session.jid }, 'account deleted on the XMPP server and in Parley');
  }

  /** The account's browser sessions (for "Sessions and devices"). */
  listBrowsers(accountId: string): Promise<BrowserSessionRow[]> {
    return this.deps.stores.sessions.listForAccount(accountId);
  }

  /** Ends one browser session of this account: its cookie stops working and its tabs are disconnected. */
  async signOutBrowser(accountId: string, browserId: string): Promise<boolean> {
    const done = await this.deps.stores.sessions.destroyForAccount(accountId, browserId);
    if (done) this.deps.broadcaster.disconnectBrowser?.(browserId, 'signed-out');
    return done;
  }

  private async verifyAbsent(jid: string, password: string): Promise<boolean> {
    try {
      const probe = await this.open(jid, { password });
      await probe.stop();
      return false;
    } catch (err) {
      return err instanceof LoginError && err.condition === 'not-authorized';
    }
  }

  private refusal(err: unknown): AccountChangeError {
    if (err instanceof XmppStanzaError && err.stanza) {
      const { refusal, text } = parseAccountChangeError(err.stanza);
      return new AccountChangeError(refusal === 'not-allowed' || refusal === 'not-acceptable' ? refusal : 'failed', text);
    }
    this.deps.log.warn({ err }, 'account change failed');
    return new AccountChangeError('failed');
  }

  /** Graceful shutdown: close every XMPP session cleanly; browser sessions and sealed credentials stay for the next start. */
  async stopAll(): Promise<void> {
    await Promise.all(this.sessions().map((s) => s.end('shutdown')));
  }
}

/** What the login page says; the same text for unknown users and wrong passwords (no user enumeration). */
export function loginMessage(condition: string | undefined, domain: string, t: ServerTranslate = translateEn): string {
  switch (condition) {
    case 'not-authorized':
      return t('login.wrongPassword');
    case 'unreachable':
      // Every failure before an XMPP stream opened, whatever it was: the form is no probe of what listens where.
      return unreachableMessage(domain, t);
    case 'timeout':
      return t('xmpp.timeout', { domain });
    case 'tls-failed':
      return t('login.tlsFailed', { domain });
    case 'no-mechanism':
      return t('login.noMechanism', { domain });
    case 'bad-jid':
      return t('jid.invalid');
    case 'capacity':
      return t('login.capacity');
    case 'busy':
      return t('login.busy');
    default:
      return t('login.connectionClosed', { domain });
  }
}
