/**
 * The XMPP stream parser with bounds, as Prosody's c2s_stanza_size_limit: an XMPP server (anyone's, on an open
 * instance) must not be able to make the shared process hold a stanza of any size, nest without end, or spend its
 * time on one account. @xmpp/xml's Parser (ltx's SAX parser) is wrapped, not replaced: depth, attributes and text
 * are checked at its SAX events; the bytes of an unfinished top-level element are counted per socket read by
 * GuardedTcp (negotiation.ts), before ltx buffers them.
 *
 * A stanza over the size or text bound is not a reason to end the session (a contact's vCard with a large PHOTO is
 * legitimate, and Prosody federates up to 512 KiB): its content is dropped as it arrives and, when it closes, a stub
 * of it is emitted (its own attributes and one <oversized xmlns='urn:parley:oversized'/> child), so stream management
 * still counts it and an iq waiting for it gets an error. Only past `maxSkippedBytes` (a never-closing element) does
 * the stream end.
 */
import { Parser, xml, type Element } from '@xmpp/xml';

export const NS_OVERSIZED = 'urn:parley:oversized';

export interface StanzaLimits {
  /**
   * Bytes of one top-level element (stanza or nonza), counted per socket read (at most 64 KiB): the read that starts
   * an element and the one that ends it may be shared with other elements and go uncounted, so the cut comes at
   * this limit plus at most two reads. Text, attributes and depth are bounded exactly.
   */
  maxBytes: number;
  /** Elements nested inside a stanza, the stanza itself counting as 1. */
  maxDepth: number;
  /** Attributes of one element. */
  maxAttributes: number;
  /** Characters of one attribute value. */
  maxAttributeBytes: number;
  /** Characters of text in one stanza (all its text nodes together). */
  maxTextBytes: number;
  /** Bytes of one oversized stanza Parley reads and drops before it ends the stream (ltx holds an open text node). */
  maxSkippedBytes: number;
}

/** Prosody's default c2s_stanza_size_limit is 256 KiB; the rest is generous for what real stanzas carry. */
export const DEFAULT_STANZA_LIMITS: StanzaLimits = {
  maxBytes: 256 * 1024,
  maxDepth: 32,
  maxAttributes: 64,
  maxAttributeBytes: 16 * 1024,
  maxTextBytes: 256 * 1024,
  maxSkippedBytes: 4 * 2 ** 20,
};

/** RFC 6120 §4.9.3: policy-violation for a bound crossed, not-well-formed for broken XML. */
export type StreamErrorCondition = 'policy-violation' | 'not-well-formed';

export type Violation = (condition: StreamErrorCondition, text: string) => void;

export class BoundedParser extends Parser {
  private depth = 0;
  private textInStanza = 0;
  private failed = false;
  /** Set when a top-level element ended (or the stream opened) during the current write. */
  boundary = false;
  /** The top-level element whose content is being dropped (see skipStanza). */
  private skipped: Element | null = null;

  constructor(
    private readonly limits: StanzaLimits,
    private readonly violation: Violation,
  ) {
    super();
  }

  private fail(condition: StreamErrorCondition, text: string): void {
    if (this.failed) return;
    this.failed = true;
    this.violation(condition, text);
  }

  override write(data: string): void {
    if (this.failed) return;
    super.write(data);
  }

  /** True while the content of an oversized stanza is being dropped. */
  get skipping(): boolean {
    return this.skipped !== null;
  }

  /**
   * Drops the content of the stanza being read (and all that follows of it) and keeps only its top-level attributes.
   * False when no stanza is open (the bytes are between stanzas: the caller ends the stream).
   */
  skipStanza(reason: 'bytes' | 'text'): boolean {
    if (this.failed) return false;
    if (this.skipped) return true;
    let top = this.cursor;
    if (!top || top === this.root || this.depth < 1) return false;
    while (top.parent) top = top.parent;
    top.children = [];
    top.append(xml('oversized', { xmlns: NS_OVERSIZED, reason }));
    this.skipped = top;
    this.cursor = top;
    return true;
  }

  /** The stub of a skipped stanza; an iq result becomes an error, so whoever waits for it learns why. */
  private static stub(top: Element): void {
    if (top.name !== 'iq' || top.attrs.type !== 'result') return;
    top.attrs.type = 'error';
    top.append(xml('error', { type: 'cancel' }, xml('resource-constraint', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }), xml('text', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }, 'the answer was too large for Parley')));
  }

  // The SAX callbacks of @xmpp/xml's Parser (bound in its constructor through the prototype, so overriding works).
  override onStartElement(name: string, attrs: Record<string, string>): void {
    if (this.failed) return;
    if (this.skipped) {
      this.depth++;
      return;
    }
    const keys = Object.keys(attrs);
    if (keys.length > this.limits.maxAttributes) return this.fail('policy-violation', `more than ${this.limits.maxAttributes} attributes on <${name}>`);
    for (const k of keys) {
      if (attrs[k]!.length > this.limits.maxAttributeBytes) return this.fail('policy-violation', `attribute ${k} of <${name}> longer than ${this.limits.maxAttributeBytes}`);
    }
    if (this.root) {
      // depth 0 is the stream element; a stanza is depth 1
      if (++this.depth > this.limits.maxDepth) return this.fail('policy-violation', `elements nested deeper than ${this.limits.maxDepth}`);
      if (this.depth === 1) this.textInStanza = 0;
    } else this.boundary = true;
    super.onStartElement(name, attrs);
  }

  override onEndElement(name: string): void {
    if (this.failed) return;
    if (this.skipped) {
      if (--this.depth > 0) return;
      const top = this.skipped;
      this.skipped = null;
      BoundedParser.stub(top);
      this.cursor = top;
      this.boundary = true;
      super.onEndElement(top.name);
      return;
    }
    const { cursor, root } = this;
    if (!cursor || name !== cursor.name) return this.fail('not-well-formed', `</${name}> does not close <${cursor?.name ?? ''}>`);
    if (cursor !== root) {
      this.depth--;
      if (this.depth === 0) this.boundary = true;
    }
    super.onEndElement(name);
  }

  override onText(text: string): void {
    if (this.failed) return;
    const { cursor, root } = this;
    // Between stanzas only whitespace (keep-alives) may appear; it is not kept (the stream element would grow forever).
    if (this.skipped) return;
    if (!cursor || cursor === root) {
      if (/\S/.test(text)) this.fail('not-well-formed', 'text outside of any stanza');
      return;
    }
    this.textInStanza += text.length;
    if (this.textInStanza > this.limits.maxTextBytes) {
      this.skipStanza('text');
      return;
    }
    super.onText(text);
  }
}
