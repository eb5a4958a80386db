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
    /** ltx SAX callbacks, bound through the prototype (a subclass may override them). */
    onStartElement(name: string, attrs: Record<string, string>): void;
    onEndElement(name: string): void;
    onText(text: string): void;
    on(event: 'start' | 'element' | 'end', listener: (el: Element) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }
}

declare module '@xmpp/jid' {
  export class JID {
    constructor(local: string | null | undefined, domain: string, resource?: string | null);
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    equals(other: JID): boolean;
    toString(unescape?: boolean): string;
    getLocal(unescape?: boolean): string;
    getDomain(): string;
    getResource(): string;
  }
  export function jid(address: string): JID;
  export function jid(local: string | null, domain: string, resource?: string | null): JID;
  export function parse(address: string): JID;
  export function equal(a: JID, b: JID): boolean;
  const j: typeof jid & { jid: typeof jid; JID: typeof JID; parse: typeof parse; equal: typeof equal };
  export default j;
}

declare module '@xmpp/id' {
  /** A random 10-character id (base 36). */
  export default function id(): string;
}

declare module '@xmpp/connection' {
  import { EventEmitter } from 'node:events';
  import type { Element, Parser } from '@xmpp/xml';

  export interface ConnectionOptions {
    domain?: string;
    service?: string;
    lang?: string;
    /** ms for stream open/close waits; default 2000 */
    timeout?: number;
  }

  /** Socket as the connection sees it: net.Socket for TCP, or @xmpp/tls's wrapper around a TLSSocket. */
  export interface XmppSocket extends EventEmitter {
    secure?: boolean;
    write(data: string, cb?: (err?: Error | null) => void): boolean;
    end(): void;
    destroy(err?: Error): void;
  }

  /**
   * Statuses: offline, connecting, connect, opening, open, online, closing, close, disconnecting, disconnect.
   * Events: 'element' (every top-level element), 'stanza', 'nonza', 'send', 'error', 'status', and each status name.
   */
  export default class Connection extends EventEmitter {
    constructor(options?: ConnectionOptions | string);
    options: ConnectionOptions;
    status: string;
    timeout: number;
    socket: XmppSocket | null;
    parser: Parser | null;
    root: Element | null;
    isSecure(): boolean;
    connect(service: string): Promise<void>;
    open(options: { domain?: string; lang?: string }): Promise<Element>;
    restart(): Promise<Element>;
    write(data: string): Promise<void>;
    send(element: Element): Promise<void>;
    stop(): Promise<Element | undefined>;
    disconnect(): Promise<Element | undefined>;
    isStanza(element: Element): boolean;
    _onData(data: Buffer | string): void;
    _attachSocket(socket: XmppSocket): void;
    _detachSocket(): void;
    _detachParser(): void;
    /** Follows a see-other-host stream error by connecting wherever the server said. */
    _onSeeOtherHost(error: Error): Promise<void>;
    /** The parser class each stream (re)open instantiates. */
    Parser: new () => Parser;
    _status(status: string, ...args: unknown[]): void;
    NS: string;
  }
}

declare module '@xmpp/connection-tcp' {
  import Connection from '@xmpp/connection';
  import type { Element } from '@xmpp/xml';
  /** XMPP over TCP (RFC 6120): `<stream:stream>` framing, services written 'xmpp://host:port'. */
  export default class ConnectionTCP extends Connection {
    sendMany(elements: Element[]): Promise<void>;
    socketParameters(service: string): { port: number | null; host: string } | undefined;
    header(el: Element): string;
    footer(): string;
  }
}

declare module '@xmpp/starttls/starttls.js' {
  import type { XmppSocket } from '@xmpp/connection';
  export function canUpgrade(socket: unknown): boolean;
  /** Wraps a connected net.Socket in TLS (certificate checked against `host`); resolves once the handshake is done. */
  export function upgrade(socket: unknown, options?: { host?: string; servername?: string } & Record<string, unknown>): Promise<XmppSocket>;
}
