declare module 'ltx/lib/parse.js' {
  import type { Element } from '@xmpp/xml';
  /** Parses one complete XML document into an element tree; throws on malformed XML. */
  export default function parse(xml: string): Element;
}
