/**
 * The XMPP stream parser with bounds, as Prosody's c2s_stanza_size_limit: an XMPP server (anyone's, on an open
 * instance) must not be able to make the shared process hold a stanza of any size, nest without end, or spend its
 * time on one account. @xmpp/xml's Parser (ltx's SAX parser) is wrapped, not replaced: depth, attributes and text
 * are checked at its SAX events; the bytes of an unfinished top-level element are counted per socket read by
 * GuardedTcp (negotiation.ts), before ltx buffers them, so a never-closing element is cut at the limit.
 */
import { Parser } from '@xmpp/xml';

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
}

/** Prosody's default c2s_stanza_size_limit is 256 KiB; the rest is generous for what real stanzas carry. */
export const DEFAULT_STANZA_LIMITS: StanzaLimits = {
  maxBytes: 256 * 1024,
  maxDepth: 32,
  maxAttributes: 64,
  maxAttributeBytes: 16 * 1024,
  maxTextBytes: 256 * 1024,
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

  // The SAX callbacks of @xmpp/xml's Parser (bound in its constructor through the prototype, so overriding works).
  override onStartElement(name: string, attrs: Record<string, string>): void {
    if (this.failed) return;
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
    if (!cursor || cursor === root) {
      if (/\S/.test(text)) this.fail('not-well-formed', 'text outside of any stanza');
      return;
    }
    this.textInStanza += text.length;
    if (this.textInStanza > this.limits.maxTextBytes) return this.fail('policy-violation', `more than ${this.limits.maxTextBytes} characters of text in one stanza`);
    super.onText(text);
  }
}
