/**
 * Emoji-only messages (1 to 3 emoji and nothing else but spaces) are shown large. Counted in graphemes
 * (Intl.Segmenter), so a flag, a skin-tone variant or a family sequence counts as one emoji.
 */
const PICTOGRAPHIC = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component})+$/u;
/** Shown as a picture by default (Emoji_Presentation), or asked to be (VS16), or a flag: not ™ or © as text. */
const HAS_PICTURE = /\p{Emoji_Presentation}|\uFE0F|\p{Regional_Indicator}{2}/u;
const KEYCAP = /^[0-9#*]\uFE0F?\u20E3$/u;
const segmenter = typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

export const MAX_LARGE_EMOJI = 3;

export function isEmojiOnly(text: string): boolean {
  const trimmed = text.trim();
  // Cheap bound first: 3 long ZWJ sequences stay well under 100 code units.
  if (trimmed === '' || trimmed.length > 100 || !segmenter) return false;
  let count = 0;
  for (const { segment } of segmenter.segment(trimmed)) {
    if (/^\s+$/u.test(segment)) continue;
    const emoji = KEYCAP.test(segment) || (PICTOGRAPHIC.test(segment) && HAS_PICTURE.test(segment));
    if (!emoji || ++count > MAX_LARGE_EMOJI) return false;
  }
  return count > 0;
}
