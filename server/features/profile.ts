/**
 * Contact profiles (XEP-0292 vCard4 over PEP, falling back to XEP-0054 vcard-temp for servers without it).
 * Asked on the account's own XMPP session, so a contact's access rules apply to this account only.
 * Every failure becomes an empty profile with a state the tab can show; results are cached briefly in memory.
 */
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { ProfileDTO, ProfileState } from '../realtime/contract.js';
import {
  buildOwnDiscoInfo, buildVcard4Get, buildVcardTempGet, convertsVcardTemp, emptyProfile, isEmptyProfile, parseVcard4, parseVcardTemp, vcard4FromItems, vcardTempFromResult,
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

/**
 * vCard4 answers after which vcard-temp is asked too (servers without PEP vCard4 keep profiles there). Prosody answers
 * `forbidden` both for a node we may not read and for an account that does not exist (it never tells which accounts exist).
 */
const ASK_VCARD_TEMP = new Set(['item-not-found', 'forbidden', 'service-unavailable', 'feature-not-implemented']);

function conditionOf(err: unknown): string | null {
  const condition = (err as { condition?: unknown } | null)?.condition;
  return typeof condition === 'string' ? condition : null;
}

/** Maps an error answer (or our own timeout) to what the tab is told. */
function stateOf(condition: string | null): ProfileState {
  switch (condition) {
    case 'item-not-found': return 'empty';
    case 'service-unavailable': case 'feature-not-implemented': case 'remote-server-not-found': case 'recipient-unavailable':
    case 'gone': case 'not-allowed':
      return 'unavailable';
    case 'forbidden': case 'not-authorized': case 'registration-required': case 'subscription-required': return 'forbidden';
    case 'remote-server-timeout': return 'timeout';
    default: return 'error';
  }
}

function domainOf(jid: string): string {
  return jid.slice(jid.indexOf('@') + 1).toLowerCase();
}

export class Profiles {
  private readonly cache = new Map<string, { value: ProfileDTO; until: number }>();
  private readonly inFlight = new Map<string, Promise<ProfileDTO>>();
  private readonly opts: ProfileOptions;
  /** Asked once per session: does our server answer vcard-temp from vCard4 (so asking it again tells nothing new)? */
  private ownServerConverts: Promise<boolean> | null = null;

  constructor(
    private readonly ctx: Pick<SessionContext, 'log' | 'jid'> & { conn: IqSender },
    opts: Partial<ProfileOptions> = {},
  ) {
    this.opts = { ...PROFILE_DEFAULTS, ...opts };
  }

  /** The profile of `jid` (a contact, a stranger or our own bare JID). Never throws for what the network answers. */
  async get(jid: string, fresh = false): Promise<ProfileDTO> {
    const hit = this.cache.get(jid);
    if (!fresh && hit && Date.now() < hit.until) return hit.value;
    // Two tabs opening the same profile at once share one request (a fresh ask never joins an older one).
    const running = this.inFlight.get(jid);
    if (running && !fresh) return running;
    const run: Promise<ProfileDTO> = this.fetchOutcome(jid).then((outcome) => {
      const value: ProfileDTO = { jid, ...outcome, fetchedAt: new Date().toISOString() };
      // An older request overtaken by a fresh one must not put its answer back in the cache.
      if (this.inFlight.get(jid) === run) {
        this.inFlight.delete(jid);
        this.remember(value);
      }
      return value;
    }, (err: unknown) => {
      if (this.inFlight.get(jid) === run) this.inFlight.delete(jid); // never leave a dead request to be joined
      throw err;
    });
    this.inFlight.set(jid, run);
    return run;
  }

  private remember(value: ProfileDTO): void {
    const ok = value.state === 'found' || value.state === 'empty';
    this.cache.delete(value.jid);
    this.cache.set(value.jid, { value, until: Date.now() + (ok ? this.opts.ttlMs : this.opts.failureTtlMs) });
    while (this.cache.size > this.opts.maxEntries) this.cache.delete(this.cache.keys().next().value!);
  }

  /** vCard4 over PEP first (no photo data rides along); vcard-temp when PEP has none for us. */
  private async fetchOutcome(jid: string): Promise<Outcome> {
    let pepCondition: string;
    try {
      const vcard = vcard4FromItems(await this.ctx.conn.iq(buildVcard4Get(jid), this.opts.iqTimeoutMs));
      if (vcard) return this.outcome('vcard4', parseVcard4(vcard));
      pepCondition = 'item-not-found';
    } catch (err) {
      const condition = conditionOf(err);
      if (condition === null || !ASK_VCARD_TEMP.has(condition)) return this.failure(jid, 'vcard4', err);
      pepCondition = condition;
    }
    // Same server and it converts: vcard-temp would only repeat PEP's answer, plus any avatar as base64 (size).
    if (domainOf(jid) === domainOf(this.ctx.jid) && (await this.serverConverts())) return this.fromPep(pepCondition, null);
    let legacy: Outcome;
    try {
      const vcard = vcardTempFromResult(await this.ctx.conn.iq(buildVcardTempGet(jid), this.opts.iqTimeoutMs));
      legacy = vcard ? this.outcome('vcard-temp', parseVcardTemp(vcard)) : { state: 'empty', source: 'vcard-temp', fields: emptyProfile() };
    } catch (err) {
      legacy = this.failure(jid, 'vcard-temp', err);
    }
    if (legacy.state !== 'empty' && legacy.state !== 'unavailable') return legacy;
    return this.fromPep(pepCondition, legacy);
  }

  /** vcard-temp had nothing to say: what PEP said is the better explanation, unless PEP itself was missing. */
  private fromPep(pepCondition: string, legacy: Outcome | null): Outcome {
    const pepState = stateOf(pepCondition);
    if (pepState === 'unavailable' && legacy) return legacy;
    return { state: pepState, source: null, fields: emptyProfile() };
  }

  private serverConverts(): Promise<boolean> {
    this.ownServerConverts ??= this.ctx.conn
      .iq(buildOwnDiscoInfo(), this.opts.iqTimeoutMs)
      .then(convertsVcardTemp)
      .catch(() => {
        this.ownServerConverts = null; // ask again next time
        return false;
      });
    return this.ownServerConverts;
  }

  private outcome(source: NonNullable<ProfileDTO['source']>, fields: ProfileFields): Outcome {
    return { state: isEmptyProfile(fields) ? 'empty' : 'found', source, fields };
  }

  private failure(jid: string, source: NonNullable<ProfileDTO['source']>, err: unknown): Outcome {
    if (err instanceof VcardShapeError) {
      this.ctx.log.info({ peer: jid, source, reason: err.message }, 'malformed profile');
      return { state: 'malformed', source, fields: emptyProfile() };
    }
    const condition = conditionOf(err);
    if (condition === null) this.ctx.log.warn({ err, peer: jid, source }, 'profile request failed');
    return { state: stateOf(condition), source: null, fields: emptyProfile() };
  }
}
