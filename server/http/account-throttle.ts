/**
 * Failed logins per account, whatever address they come from: after `max` failures in `windowMs` the account's
 * login form answers "too many attempts" without asking the XMPP server (no password guessing through Parley).
 * In memory and bounded; a restart forgets it, the per-address limit still applies. app.ts counts failed posts per
 * XMPP domain with it too.
 */
const MAX_TRACKED = 100_000;

export class AccountThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  /** `max` is read at every check: an admin may change it while Parley runs. */
  constructor(private readonly max: () => number, private readonly windowMs: number) {}

  blocked(jid: string, now = Date.now()): boolean {
    const f = this.failures.get(jid);
    if (!f) return false;
    if (now - f.since > this.windowMs) {
      this.failures.delete(jid);
      return false;
    }
    return f.count >= this.max();
  }

  fail(jid: string, now = Date.now()): void {
    const f = this.failures.get(jid);
    if (f && now - f.since <= this.windowMs) f.count++;
    else {
      if (this.failures.size >= MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
      this.failures.set(jid, { count: 1, since: now });
    }
  }

  succeeded(jid: string): void {
    this.failures.delete(jid);
  }
}
