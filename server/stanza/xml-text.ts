/**
 * Whether a string can be written as XML 1.0 character data. ltx escapes markup but not these: a NUL, most controls,
 * U+FFFE/U+FFFF or a lone surrogate in an outgoing stanza makes the server close the whole stream (RFC 6120 §11.1),
 * so builders refuse such text instead of sending it.
 */
const ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isXmlText(s: string): boolean {
  return !ILLEGAL.test(s);
}

/** The first `max` UTF-16 units of `s`, one fewer when the cut would leave half of a surrogate pair (an unpaired one is not XML text). */
export function sliceText(s: string, max: number): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
