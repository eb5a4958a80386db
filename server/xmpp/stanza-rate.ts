/**
 * Stanzas per second per account, as a token bucket: `burst` at once (a login's offline messages and presences),
 * `perSecond` sustained. Crossing it is a policy violation (negotiation.ts closes the stream).
 */
export interface RateSettings {
  perSecond: number;
  burst: number;
}

export const DEFAULT_STANZA_RATE: RateSettings = { perSecond: 200, burst: 5000 };

/**
 * Occupant presences of rooms (muc#user) have their own bucket: a busy room's joins and leaves come in thousands (a
 * 5,000-occupant room on join, churn of 1,000/s), and each costs the session one map update, coalesced to the tabs.
 */
export const DEFAULT_ROOM_PRESENCE_RATE: RateSettings = { perSecond: 2000, burst: 20_000 };

export class StanzaRate {
  private tokens: number;
  private last: number;

  constructor(private readonly settings: RateSettings, private readonly now: () => number = () => performance.now()) {
    this.tokens = settings.burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.settings.burst, this.tokens + ((t - this.last) / 1000) * this.settings.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
