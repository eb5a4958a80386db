/**
 * Whether a string can be written as XML 1.0 character data. ltx escapes markup but not these: a NUL, most controls,
 * U+FFFE/U+FFFF or a lone surrogate in an outgoing stanza makes the server close the whole stream (RFC 6120 §11.1),
 * so builders refuse such text instead of sending it.
 */
const ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isXmlText(s: string): boolean {
  return !ILLEGAL.test(s);
}
