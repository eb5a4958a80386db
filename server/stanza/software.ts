/**
 * What another entity may ask about this client: its software (XEP-0092 Software Version), its time (XEP-0202 Entity
 * Time) and the user's idle time (XEP-0012 Last Activity, asked of a full JID). Pure builders.
 */
import { xml, type Element } from '@xmpp/xml';

export const NS_VERSION = 'jabber:iq:version';
export const NS_TIME = 'urn:xmpp:time';
export const NS_LAST = 'jabber:iq:last';

/** XEP-0092 §2: name and version; the optional <os/> is left out on purpose (it helps attackers, not users). */
export function buildVersionResult(name: string, version: string): Element {
  return xml('query', { xmlns: NS_VERSION }, xml('name', {}, name), xml('version', {}, version));
}

/**
 * XEP-0202 §3: <tzo/> and <utc/>. The user's time zone is their browser's, unknown to the server: Parley answers
 * UTC (+00:00) rather than the server's zone, which would be wrong for the user and say where the server runs.
 */
export function buildTimeResult(now = new Date()): Element {
  return xml('time', { xmlns: NS_TIME }, xml('tzo', {}, '+00:00'), xml('utc', {}, now.toISOString().replace(/\.\d{3}Z$/, 'Z')));
}

/** XEP-0012 §2 (a full JID is asked): seconds since the user was last active, whole seconds. */
export function buildLastResult(idleSeconds: number): Element {
  return xml('query', { xmlns: NS_LAST, seconds: String(Math.max(0, Math.floor(idleSeconds))) });
}
