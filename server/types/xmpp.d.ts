/**
 * Type declarations for the untyped @xmpp/* 0.14.0 packages (and the ltx Element they re-export).
 * Only what Parley uses is declared; widen as needed, keep it true to node_modules/@xmpp/* sources.
 */
declare module '@xmpp/xml' {
  import { EventEmitter } from 'node:events';

  export type Node = Element | string;
  export type Attrs = Record<string, string | undefined>;

  /** ltx Element: attributes in `attrs`, children are Elements or text strings. */
  export class Element {
    constructor(name: string, attrs?: Attrs | string);
    name: string;
    parent: Element | null;
    children: Node[];
    attrs: Record<string, string>;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    findNS(prefix?: string): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildByAttr(attr: string, val: string, xmlns?: string, recursive?: boolean): Element | undefined;
    getChildrenByAttr(attr: string, val: string, xmlns?: string, recursive?: boolean): Element[];
    getChildrenByFilter(filter: (child: Node) => boolean, recursive?: boolean): Node[];
    getChildElements(): Element[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    root(): Element;
    up(): Element;
    c(name: string, attrs?: Attrs | string): Element;
    cnode<T extends Node>(child: T): T;
    append(...nodes: Node[]): void;
    prepend(...nodes: Node[]): void;
    t(text: string): this;
    remove(el: Element | string, xmlns?: string): this;
    text(): string;
    text(val: string): this | string;
    attr(name: string): string | undefined;
    attr(name: string, val: string | null): this;
    setAttrs(attrs: Attrs | string): void;
    toString(): string;
    write(writer: (chunk: string) => void): void;
  }

  export type Child = Node | null | undefined | boolean | Child[];
  export function createElement(name: string, attrs?: Record<string, unknown> | string | null, ...children: Child[]): Element;
  export function xml(name: string, attrs?: Record<string, unknown> | string | null, ...children: Child[]): Element;
  export default xml;

  export function escapeXML(s: string): string;
  export function unescapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function unescapeXMLText(s: string): string;

  export class XMLError extends Error {}

  /** Streaming parser: 'start' (stream root), 'element' (each top-level child), 'end', 'error'. */
  export class Parser extends EventEmitter {
    root: Element | null;
    cursor: Element | null;
    write(data: string): void;
    end(data?: string): void;
    on(event: 'start' | 'element' | 'end', listener: (el: Element) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }
}
