/**
 * Contact profiles (XEP-0292 vCard4 over PEP, falling back to XEP-0054 vcard-temp for servers without it).
 * Asked on the account's own XMPP session, so a contact's access rules apply to this account only.
 * Every failure becomes an empty profile with a state the tab can show; results are cached briefly in memory.
 */
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { ProfileDTO, ProfileState } from '../realtime/contract.js';
import {
  buildVcard4Get, buildVcardTempGet, emptyProfile, isEmptyProfile, parseVcard4, parseVcardTemp, vcard4FromItems, vcardTempFromResult,
  VcardShapeError, type ProfileFields,
} from '../stanza/vcard.js';

export interface ProfileOptions {
  /** How long a fetched profile is served from memory. */
  ttlMs: number;
  /** How long a failure is remembered (shorter: it may be passing). */
  failureTtlMs: number;
  /** Bound on the answer to each request. */
  iqTimeoutMs: number;
  /** Profiles kept per session; the oldest go first. */
  maxEntries: number;
}

export const PROFILE_DEFAULTS: ProfileOptions = { ttlMs: 60_000, failureTtlMs: 10_000, iqTimeoutMs: 10_000, maxEntries: 500 };

/** The part of the connection this feature needs. */
export interface IqSender {
  iq(request: Element, timeoutMs?: number): Promise<Element>;
}

type Outcome = { state: ProfileState; source: ProfileDTO['source']; fields: ProfileFields };

/** Conditions meaning "no vCard4 here": ask vcard-temp instead. */
const NO_VCARD4 = new Set(['item-not-found', 'service-unavailable', 'feature-not-implemented', 'not-allowed', 'bad-request']);

function conditionOf(err: unknown): string | null {
  const condition = (err as { condition?: unknown } | null)?.condition;
  return typeof condition === 'string' ? condition : null;
}

/** Maps an error answer (or our own timeout) to what the tab is told. */
function stateOf(condition: string | null): ProfileState {
  switch (condition) {
    case 'item-not-found': return 'empty';
    case 'service-unavailable': case 'feature-not-implemented': case 'remote-server-not-found': case 'recipient-unavailable': case 'gone':
      return 'unavailable';
    case 'forbidden': case 'not-authorized': case 'registration-required': case 'subscription-required': return 'forbidden';
    case 'remote-server-timeout': return 'timeout';
    default: return 'error';
  }
}

export class Profiles {
  private readonly cache = new Map<string, { value: ProfileDTO; until: number }>();
  private readonly inFlight = new Map<string, Promise<ProfileDTO>>();
  private readonly opts: ProfileOptions;

  constructor(
    private readonly ctx: Pick<SessionContext, 'log'> & { conn: IqSender },
    opts: Partial<ProfileOptions> = {},
  ) {
    this.opts = { ...PROFILE_DEFAULTS, ...opts };
  }

  /** The profile of `jid` (a contact, a stranger or our own bare JID). Never throws for what the network answers. */
  async get(jid: string, fresh = false): Promise<ProfileDTO> {
    const hit = this.cache.get(jid);
    if (!fresh && hit && Date.now() < hit.until) return hit.value;
    // Two tabs opening the same profile at once share one request.
    const running = this.inFlight.get(jid);
    if (running) return running;
    const run = this.fetch(jid).finally(() => this.inFlight.delete(jid));
    this.inFlight.set(jid, run);
    return run;
  }

  private async fetch(jid: string): Promise<ProfileDTO> {
    const outcome = await this.fetchVcard4(jid) ?? await this.fetchVcardTemp(jid);
    const value: ProfileDTO = { jid, ...outcome, fetchedAt: new Date().toISOString() };
    const ok = outcome.state === 'found' || outcome.state === 'empty';
    this.cache.delete(jid);
    this.cache.set(jid, { value, until: Date.now() + (ok ? this.opts.ttlMs : this.opts.failureTtlMs) });
    while (this.cache.size > this.opts.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    return value;
  }

  /** null: there is no vCard4 to read, try vcard-temp. */
  private async fetchVcard4(jid: string): Promise<Outcome | null> {
    try {
      const vcard = vcard4FromItems(await this.ctx.conn.iq(buildVcard4Get(jid), this.opts.iqTimeoutMs));
      return vcard ? this.outcome('vcard4', parseVcard4(vcard)) : null;
    } catch (err) {
      return this.failure(jid, 'vcard4', err, NO_VCARD4);
    }
  }

  private async fetchVcardTemp(jid: string): Promise<Outcome> {
    try {
      const vcard = vcardTempFromResult(await this.ctx.conn.iq(buildVcardTempGet(jid), this.opts.iqTimeoutMs));
      return vcard ? this.outcome('vcard-temp', parseVcardTemp(vcard)) : { state: 'empty', source: 'vcard-temp', fields: emptyProfile() };
    } catch (err) {
      return this.failure(jid, 'vcard-temp', err, new Set()) as Outcome;
    }
  }

  private outcome(source: NonNullable<ProfileDTO['source']>, fields: ProfileFields): Outcome {
    return { state: isEmptyProfile(fields) ? 'empty' : 'found', source, fields };
  }

  private failure(jid: string, source: NonNullable<ProfileDTO['source']>, err: unknown, fallBackOn: Set<string>): Outcome | null {
    if (err instanceof VcardShapeError) {
      this.ctx.log.info({ peer: jid, source, reason: err.message }, 'malformed profile');
      return { state: 'malformed', source, fields: emptyProfile() };
    }
    const condition = conditionOf(err);
    if (condition !== null && fallBackOn.has(condition)) return null;
    if (condition === null) this.ctx.log.warn({ err, peer: jid, source }, 'profile request failed');
    return { state: stateOf(condition), source: null, fields: emptyProfile() };
  }
}
