/**
 * The one place that touches the untyped XML packages: `@xmpp/xml` (ltx elements, browser-safe) and ltx's string parser.
 * Everything else in client/omemo uses the small typed view below.
 */
// @ts-ignore -- @xmpp/xml ships no type declarations; the surface we use is typed by XmlElement below.
import { xml as ltxXml } from '@xmpp/xml';
// @ts-ignore -- typed (loosely) elsewhere in the project; we pin our own signature here.
import ltxParse from 'ltx/lib/parse.js';

/** The subset of ltx's Element that the OMEMO codec relies on. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string | undefined>;
  children: (XmlElement | string)[];
  getChild(name: string, xmlns?: string): XmlElement | undefined;
  getChildren(name: string, xmlns?: string): XmlElement[];
  getText(): string;
  toString(): string;
}

type Child = XmlElement | string | null | undefined;

export function el(name: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): XmlElement {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = v;
  return (ltxXml as (n: string, a: Record<string, string>, ...c: Child[]) => XmlElement)(name, clean, ...children);
}

/** Parses one XML document; throws (untyped) on malformed input: callers wrap it. */
export function parseXmlString(text: string): XmlElement {
  return (ltxParse as (s: string) => XmlElement)(text);
}

export function isXmlElement(x: unknown): x is XmlElement {
  return typeof x === 'object' && x !== null && typeof (x as XmlElement).name === 'string'
    && typeof (x as XmlElement).getChild === 'function';
}
