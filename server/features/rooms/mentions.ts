/**
 * Does a room message mention us? Our room nickname as a word of the body (case-insensitive, with Unicode letters and
 * digits as word characters, so "Anna" is not found in "Annabel" nor "Zoë" in "Zoëy"), or an XEP-0372 reference of
 * type mention naming our occupant JID (xmpp:room@service/nick) or our bare JID. Pure, bounded, never throws.
 */
import type { Element } from '@xmpp/xml';

export const NS_REFERENCE = 'urn:xmpp:reference:0';
/** No honest message carries more references than this; the rest are not read. */
const MAX_REFERENCES = 50;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The nick as a whole word of the body: neither side touches a letter, digit, mark or underscore. */
export function bodyMentions(body: string | null, nick: string): boolean {
  if (!body || !nick.trim()) return false;
  const re = new RegExp(`(?<![\\p{L}\\p{N}\\p{M}_])${escapeRegExp(nick.normalize('NFC'))}(?![\\p{L}\\p{N}\\p{M}_])`, 'iu');
  return re.test(body.normalize('NFC'));
}

/** An XEP-0372 mention of our occupant JID or of our bare JID. */
export function referencesMe(el: Element, room: string, nick: string, ownBare: string): boolean {
  const mine = new Set([`xmpp:${room}/${nick}`, `xmpp:${ownBare}`]);
  for (const ref of el.getChildren('reference', NS_REFERENCE).slice(0, MAX_REFERENCES)) {
    if (ref.attrs.type !== 'mention' || typeof ref.attrs.uri !== 'string' || ref.attrs.uri.length > 3100) continue;
    let uri: string;
    try {
      uri = decodeURIComponent(ref.attrs.uri);
    } catch {
      continue;
    }
    const slash = uri.indexOf('/');
    // The room and domain part compare case-insensitively, the nick exactly (as XEP-0045 nicks do).
    const normal = slash < 0 ? uri.toLowerCase() : uri.slice(0, slash).toLowerCase() + uri.slice(slash);
    if (mine.has(normal)) return true;
  }
  return false;
}

export function mentionsMe(el: Element, body: string | null, room: string, nick: string, ownBare: string): boolean {
  return bodyMentions(body, nick) || referencesMe(el, room, nick, ownBare);
}
