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

/** `<conflict/>` with `<precondition-not-met/>`: the node exists with other options (NOTES: reconfigure and publish again). */
export function isPreconditionNotMet(err: unknown): boolean {
  const e = err as { condition?: string; stanza?: Element; element?: Element };
  if (e.condition === 'precondition-not-met') return true;
  const el = e.stanza ?? e.element;
  const error = el?.getChild('error');
  return !!error?.getChild('precondition-not-met', 'http://jabber.org/protocol/pubsub#errors');
}
