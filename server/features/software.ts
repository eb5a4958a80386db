/**
 * Answers software version (XEP-0092), entity time (XEP-0202) and last activity (XEP-0012) queries to this session's
 * full JID. The version answer can be turned off (PARLEY_XMPP_VERSION=false): the setting is process-wide, like the
 * caps hash it changes, and is set once at boot by startParley.
 *
 * Last activity tells when the user was last here, so it is answered only to those who see our presence anyway
 * (contacts with a 'from' or 'both' subscription) and our own account; anyone else gets <forbidden/> (XEP-0012 §4).
 * It is 0 while a tab is open and counts from when Parley marked the account away (no tab for PARLEY_AWAY_AFTER),
 * so it says nothing the contact's presence view does not already show.
 */
import { readFileSync } from 'node:fs';
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import { bareOf } from '../stanza/jid.js';
import { buildLastResult, buildTimeResult, buildVersionResult, NS_LAST, NS_TIME, NS_VERSION } from '../stanza/software.js';
import { XmppStanzaError } from '../xmpp/errors.js';

export const SOFTWARE_NAME = 'Parley';
export const SOFTWARE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const settings = { answerVersion: true };

/** At boot: whether to answer XEP-0092 (and advertise it). */
export function configureSoftwareInfo(opts: { answerVersion: boolean }): void {
  settings.answerVersion = opts.answerVersion;
}

/** The disco features of this module, as currently configured. */
export function softwareFeatures(): string[] {
  return [...(settings.answerVersion ? [NS_VERSION] : []), NS_TIME, NS_LAST];
}

export function registerSoftwareInfo(ctx: SessionContext): void {
  if (settings.answerVersion) ctx.conn.onIq('get', NS_VERSION, () => buildVersionResult(SOFTWARE_NAME, SOFTWARE_VERSION));
  ctx.conn.onIq('get', NS_TIME, () => buildTimeResult());
}

/** Registered by the presence tracker, which knows when the user was last here (`idleSeconds`). */
export function registerLastActivity(ctx: SessionContext, idleSeconds: () => number): void {
  ctx.conn.onIq('get', NS_LAST, async (iq: Element) => {
    const from = iq.attrs.from ? bareOf(iq.attrs.from) : ctx.jid;
    if (!from || !(await seesOurPresence(ctx, from))) throw new XmppStanzaError('forbidden', 'auth');
    return buildLastResult(idleSeconds());
  });
}

async function seesOurPresence(ctx: SessionContext, bare: string): Promise<boolean> {
  if (bare === ctx.jid) return true;
  const contact = (await ctx.stores.contacts.list(ctx.accountId)).find((c) => c.jid === bare);
  return contact?.subscription === 'from' || contact?.subscription === 'both';
}
