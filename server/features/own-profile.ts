/**
 * Saving the account's own profile: vcard-temp first (older servers and clients read it; Prosody's vcard_legacy
 * mirrors it into PEP), then the vCard4 on PEP (XEP-0292) so it holds exactly what was saved, then the nickname
 * (XEP-0172). The vcard-temp is read and merged, so its PHOTO (the XEP-0153 avatar) and other fields survive.
 */
import { Serial } from './serial.js';
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import type { Profiles } from './profile.js';
import type { ProfileDTO } from '../realtime/contract.js';
import { publishWithOptions, newPublishMemory } from './pep-publish.js';
import { vcardTempFromResult, VcardShapeError, type ProfileFields } from '../stanza/vcard.js';
import { buildNick, buildOwnVcardTempGet, buildVcard4, buildVcardTempSet, mergeVcardTemp, NS_NICK, VCARD4_ITEM } from '../stanza/vcard-edit.js';
import { CommandError } from './messages.js';

/** Contacts (presence subscribers) read the vCard4; the whole world does not (phone numbers, addresses). */
const VCARD4_OPTIONS = { 'pubsub#access_model': 'presence' };
/** How long a subscription request waits for our nickname before it goes without. */
const NICK_WAIT_MS = 2000;
/** A nickname is what strangers see on a subscription request (XEP-0172 §4.2): open. */
const NICK_OPTIONS = { 'pubsub#access_model': 'open' };

function condition(err: unknown): string | null {
  const c = (err as { condition?: unknown } | null)?.condition;
  return typeof c === 'string' ? c : null;
}

export interface SaveOutcome {
  profile: ProfileDTO;
  /** Where the profile went: each store, and why one refused. */
  stored: { vcardTemp: string; vcard4: string; nick: string };
}

export class OwnProfile {
  private readonly memory = newPublishMemory();
  constructor(
    private readonly ctx: SessionContext,
    private readonly profiles: Profiles,
    /** One vcard-temp write at a time (shared with the avatar): two saves must not interleave a read-merge-write. */
    private readonly vcardWrites = new Serial(),
  ) {}

  /**
   * Our nickname for a subscription request: the profile (vCard4 or vcard-temp, cached briefly by Profiles), or
   * null when there is none or it cannot be read now. Never throws: a request goes out without a nickname then.
   */
  async nickname(): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    // Adding a contact must not wait on a slow vCard answer: after a moment, ask without a nickname.
    const late = new Promise<null>((resolve) => (timer = setTimeout(resolve, NICK_WAIT_MS, null)));
    try {
      return await Promise.race([this.profiles.get(this.ctx.jid).then((p) => p.fields.nickname), late]);
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  save(fields: ProfileFields): Promise<SaveOutcome> {
    return this.vcardWrites.run(() => this.saveNow(fields));
  }

  private async saveNow(fields: ProfileFields): Promise<SaveOutcome> {
    const iq = (el: Element) => this.ctx.conn.iq(el);
    const stored = { vcardTemp: 'ok', vcard4: 'ok', nick: 'ok' };

    let existing: Element | null = null;
    try {
      existing = vcardTempFromResult(await iq(buildOwnVcardTempGet()));
    } catch (err) {
      // None stored yet, or one we cannot read: start from nothing (an unreadable one cannot be merged anyway).
      if (!(err instanceof VcardShapeError) && condition(err) !== 'item-not-found' && condition(err) !== 'service-unavailable') throw err;
    }
    try {
      await iq(buildVcardTempSet(mergeVcardTemp(existing, fields)));
    } catch (err) {
      stored.vcardTemp = condition(err) ?? 'error';
    }
    try {
      await publishWithOptions(iq, VCARD4_ITEM.node, VCARD4_ITEM.id, buildVcard4(fields), VCARD4_OPTIONS, this.memory);
    } catch (err) {
      stored.vcard4 = condition(err) ?? 'error';
    }
    try {
      await publishWithOptions(iq, NS_NICK, 'current', buildNick(fields.nickname), NICK_OPTIONS, this.memory);
    } catch (err) {
      stored.nick = condition(err) ?? 'error';
    }
    if (stored.vcardTemp !== 'ok' && stored.vcard4 !== 'ok') {
      throw new CommandError(`The server kept neither profile (vcard-temp: ${stored.vcardTemp}, vCard4: ${stored.vcard4}).`);
    }
    if (stored.vcardTemp !== 'ok' || stored.vcard4 !== 'ok' || stored.nick !== 'ok') this.ctx.log.info({ stored }, 'own profile only partly stored');
    const profile = await this.profiles.get(this.ctx.jid, true);
    this.ctx.emit('ownProfile', { profile });
    return { profile, stored };
  }
}
