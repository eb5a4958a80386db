/**
 * Message Reactions (XEP-0444): `<reactions id='TARGET'><reaction>👍</reaction>…</reactions>`. Each stanza is the
 * sender's whole set for the target (§3.2: "A new reaction replaces all previous reactions from the same sender"),
 * so an empty element takes them all back. In one-to-one chat TARGET is the target's `id` attribute.
 *
 * Bounded for hostile peers: at most MAX_REACTIONS distinct reactions per sender and target, each one emoji (one
 * grapheme, at most MAX_REACTION_CHARS code units); anything else in the set is dropped, the rest kept.
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export const NS_REACTIONS = 'urn:xmpp:reactions:0';
export const MAX_REACTIONS = 20;
/** A long ZWJ sequence or a tag flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿 is 14 code units) fits; a paragraph does not. */
export const MAX_REACTION_CHARS = 32;
const MAX_ID = 256;
/** More children than this and the element is refused whole: no honest client sends hundreds. */
const MAX_CHILDREN = 200;

export interface ReactionSet {
  /** The target's id attribute (or origin-id), as the sender named it. */
  id: string;
  /** Distinct, in the sender's order; empty = the sender took every reaction back. */
  emojis: string[];
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const PICTOGRAPHIC = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component})+$/u;
const PICTURE = /\p{Emoji_Presentation}|\uFE0F|\p{Regional_Indicator}{2}/u;
const KEYCAP = /^[0-9#*]\uFE0F?\u20E3$/u;

/** One emoji: a single grapheme shown as a picture (not "a", not "™" as text, not two emoji). */
export function isReactionEmoji(text: string): boolean {
  if (text.length === 0 || text.length > MAX_REACTION_CHARS) return false;
  const graphemes = [...segmenter.segment(text)];
  if (graphemes.length !== 1) return false;
  return KEYCAP.test(text) || (PICTOGRAPHIC.test(text) && PICTURE.test(text));
}

/** The reactions element of a message, or null when there is none or it is unusable (no id, too large). */
export function parseReactions(el: Element): ReactionSet | null {
  const r = el.getChild('reactions', NS_REACTIONS);
  if (!r) return null;
  const id = r.attrs.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID) return null;
  const children = r.getChildren('reaction');
  if (children.length > MAX_CHILDREN) return null;
  const emojis: string[] = [];
  for (const c of children) {
    const text = c.text().trim();
    if (isReactionEmoji(text) && !emojis.includes(text)) emojis.push(text);
    if (emojis.length === MAX_REACTIONS) break;
  }
  return { id, emojis };
}

/** Our reactions to a message (the whole set), archived (XEP-0334 store hint: the message has no body). */
export function buildReactions(to: string, id: string, target: string, emojis: readonly string[]): Element {
  return xml(
    'message',
    { to, type: 'chat', id },
    xml('reactions', { xmlns: NS_REACTIONS, id: target }, ...emojis.map((e) => xml('reaction', {}, e))),
    xml('store', { xmlns: NS.hints }),
  );
}
