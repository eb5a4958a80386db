/**
 * PEP (XEP-0163) over PubSub (XEP-0060): publish with publish-options, fetch items, reconfigure a node.
 * OMEMO needs its nodes world-readable (access_model=open), or contacts on other clients cannot encrypt to us.
 */
import { xml, type Element } from '@xmpp/xml';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
const NS_DATA = 'jabber:x:data';

function form(type: 'submit', formType: string, fields: Record<string, string>): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
  );
}

export function buildPublish(node: string, itemId: string, payload: Element, options: Record<string, string>): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'pubsub',
      { xmlns: NS_PUBSUB },
      xml('publish', { node }, xml('item', { id: itemId }, payload)),
      xml('publish-options', {}, form('submit', `${NS_PUBSUB}#publish-options`, options)),
    ),
  );
}

export function buildConfigureNode(node: string, options: Record<string, string>): Element {
  return xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node }, form('submit', `${NS_PUBSUB}#node_config`, options))));
}

export function buildItemsGet(to: string, node: string, max?: number): Element {
  return xml('iq', { type: 'get', to }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', max ? { node, max_items: String(max) } : { node })));
}

export function buildRetract(node: string, itemId: string): Element {
  return xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('retract', { node, notify: 'true' }, xml('item', { id: itemId }))));
}

/** Payloads of the items in an items result (newest last as the service returns them). */
export function parseItems(result: Element): { id: string | null; payload: Element | null }[] {
  const items = result.getChild('pubsub', NS_PUBSUB)?.getChild('items');
  return (items?.getChildren('item') ?? []).map((item) => ({
    id: typeof item.attrs.id === 'string' ? item.attrs.id : null,
    payload: (item.children.find((c) => typeof c !== 'string') as Element | undefined) ?? null,
  }));
}

/** A PEP event notification (`<message><event><items node>`), if this message is one. */
export function parseEvent(message: Element): { node: string; items: { id: string | null; payload: Element | null }[] } | null {
  const items = message.getChild('event', NS_PUBSUB_EVENT)?.getChild('items');
  if (!items || typeof items.attrs.node !== 'string') return null;
  return {
    node: items.attrs.node,
    items: items.getChildren('item').map((item) => ({
      id: typeof item.attrs.id === 'string' ? item.attrs.id : null,
      payload: (item.children.find((c) => typeof c !== 'string') as Element | undefined) ?? null,
    })),
  };
}

const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';

/**
 * Why a publish with publish-options (XEP-0060 §7.1.5) was refused, when the refusal is about the options:
 * - `precondition-not-met`: the node exists with other values (§7.1.5: `<conflict/>` + `<precondition-not-met/>`);
 * - `unknown-field`: the service does not know one field (ejabberd 23.01 answers `<resource-constraint/>` type wait with
 *   "Unknown field 'pubsub#max_items' of type '…#publish-options'"; other services send `<bad-request/>` or
 *   `<not-acceptable/>` naming the field in their text);
 * - `unsupported`: publish-options as a whole are not supported (§7.1.5: `<feature-not-implemented/>` +
 *   `<unsupported feature='publish-options'/>`), or an options error that names no field.
 * null: any other error (not ours to work around).
 */
export type PublishRefusal =
  | { kind: 'precondition-not-met'; text: string | null }
  | { kind: 'unknown-field'; field: string; text: string | null }
  | { kind: 'unsupported'; text: string | null };

export function publishRefusal(err: unknown): PublishRefusal | null {
  const e = err as { condition?: string; text?: string; stanza?: Element; element?: Element };
  const error = (e.stanza ?? e.element)?.getChild('error');
  const condition = e.condition ?? error?.getChildElements().find((c) => c.getNS() === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name;
  const text = e.text ?? error?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? null;
  const pubsubError = error?.getChildElements().find((c) => c.getNS() === NS_PUBSUB_ERRORS);
  if (condition === 'precondition-not-met' || pubsubError?.name === 'precondition-not-met') return { kind: 'precondition-not-met', text };
  if (pubsubError?.name === 'unsupported' && pubsubError.attrs.feature === 'publish-options') return { kind: 'unsupported', text };
  if (condition !== 'resource-constraint' && condition !== 'bad-request' && condition !== 'not-acceptable' && condition !== 'feature-not-implemented') return null;
  const field = text ? /(pubsub#[\w-]+)/.exec(text)?.[1] : undefined;
  if (field) return { kind: 'unknown-field', field, text };
  // Without a field named, only an answer that speaks of options is about them: a resource-constraint is the ordinary
  // "try later" (XEP-0060 §7.1.3.4) and a feature-not-implemented without <unsupported/> means no PEP at all.
  if (condition !== 'resource-constraint' && text && /option|field|config/i.test(text)) return { kind: 'unsupported', text };
  return null;
}

/** Publish without publish-options: the service's defaults apply (used when it supports none of ours). */
export function buildPublishPlain(node: string, itemId: string, payload: Element): Element {
  return xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', { id: itemId }, payload))));
}
