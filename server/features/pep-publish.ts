/**
 * Publishing a PEP item with publish-options (XEP-0060 §7.1.5, XEP-0223) on servers that differ in what they accept.
 * Fields are tried most important first; a field the service does not know is dropped and the item published again;
 * a node that exists with other values is reconfigured (pubsub#owner) and published again; a service without
 * publish-options gets a plain publish followed by a node configuration. Whatever happens to the options, the item
 * is published when the service takes it at all: the outcome says which options hold, and why the others do not.
 */
import type { Element } from '@xmpp/xml';
import { buildConfigureNode, buildPublish, buildPublishPlain, publishRefusal } from '../stanza/pubsub.js';

export type IqFn = (request: Element) => Promise<Element>;

export interface PublishOutcome {
  /** The options the node is known to have now (by publish-options or by configuration). */
  applied: Record<string, string>;
  /** Options that could not be set, with the service's reason (its error text, or its condition). */
  refused: Record<string, string>;
}

/** What a service taught us during this session: fields it does not know in publish-options, or none at all. */
export interface PublishMemory {
  unknownFields: Set<string>;
  noPublishOptions: boolean;
  /** node → `field=value` pairs we already set by configuring it in this session (not sent again for each publish). */
  configured: Map<string, Set<string>>;
}

export function newPublishMemory(): PublishMemory {
  return { unknownFields: new Set(), noPublishOptions: false, configured: new Map() };
}

/** Attempts for a request the service answered with a plain temporary error (type `wait`, not about our options). */
const TRANSIENT_ATTEMPTS = 4;
const TRANSIENT_BASE_MS = 150;

/**
 * Retries what the service called temporary (RFC 6120 §8.3.2: type `wait`) and that is no refusal of our options,
 * e.g. ejabberd 23.01's `internal-server-error` "Database failure" when another client writes the same PEP node at
 * that moment (a Mnesia transaction that lost a race). Anything else is the caller's to handle.
 */
export function retryingTransient(iq: IqFn, delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): IqFn {
  return async (request) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await iq(request);
      } catch (err) {
        const transient = (err as { type?: string }).type === 'wait' && publishRefusal(err) === null;
        if (!transient || attempt >= TRANSIENT_ATTEMPTS) throw err;
        await delay(TRANSIENT_BASE_MS * 2 ** (attempt - 1));
      }
    }
  };
}

export async function publishWithOptions(
  rawIq: IqFn,
  node: string,
  itemId: string,
  payload: Element,
  options: Record<string, string>,
  memory: PublishMemory = newPublishMemory(),
): Promise<PublishOutcome> {
  const iq = retryingTransient(rawIq);
  const refused: Record<string, string> = {};
  let current = Object.fromEntries(Object.entries(options).filter(([k]) => !memory.unknownFields.has(k)));
  let reconfigured = false;
  // Each turn drops a field or reconfigures once, so this ends after at most (fields + 1) refusals.
  for (;;) {
    if (memory.noPublishOptions || Object.keys(current).length === 0) {
      await iq(buildPublishPlain(node, itemId, payload));
      current = {};
      break;
    }
    try {
      await iq(buildPublish(node, itemId, payload, current));
      break;
    } catch (err) {
      const refusal = publishRefusal(err);
      if (!refusal) throw err;
      if (refusal.kind === 'unknown-field' && refusal.field in current) {
        memory.unknownFields.add(refusal.field);
        const { [refusal.field]: _dropped, ...rest } = current;
        current = rest;
      } else if (refusal.kind === 'precondition-not-met' && !reconfigured) {
        reconfigured = true;
        const configured = await configure(iq, node, current);
        Object.assign(refused, configured.refused);
        // Publish again asking only for what the node now has: a value the configuration could not set would fail again.
        current = configured.applied;
      } else if (refusal.kind === 'precondition-not-met') {
        // Still different after a configuration the service accepted: it keeps its own values (ejabberd's
        // force_node_config does so silently). Publish into the node as it is and say so.
        for (const k of Object.keys(current)) refused[k] = 'precondition-not-met after configuring the node: the server keeps its own setting';
        current = {};
      } else {
        memory.noPublishOptions = true; // no publish-options at all (or an options error naming no field)
      }
    }
  }
  // Options the publish did not carry are set by configuring the node, unless configuring already failed for them.
  const applied = { ...current };
  const done = memory.configured.get(node) ?? new Set<string>();
  const rest = Object.fromEntries(Object.entries(options).filter(([k, v]) => !(k in applied) && !(k in refused) && !done.has(`${k}=${v}`)));
  for (const [k, v] of Object.entries(options)) if (done.has(`${k}=${v}`) && !(k in applied) && !(k in refused)) applied[k] = v;
  if (Object.keys(rest).length > 0) {
    const configured = await configure(iq, node, rest);
    Object.assign(applied, configured.applied);
    Object.assign(refused, configured.refused);
    for (const [k, v] of Object.entries(configured.applied)) done.add(`${k}=${v}`);
    memory.configured.set(node, done);
  }
  return { applied, refused };
}

/** Configures the node (XEP-0060 §8.2), dropping fields the service refuses one by one. */
async function configure(iq: IqFn, node: string, options: Record<string, string>): Promise<PublishOutcome> {
  let current = { ...options };
  const refused: Record<string, string> = {};
  while (Object.keys(current).length > 0) {
    try {
      await iq(buildConfigureNode(node, current));
      return { applied: current, refused };
    } catch (err) {
      const refusal = publishRefusal(err);
      const reason = reasonOf(err);
      if (refusal?.kind === 'unknown-field' && refusal.field in current && Object.keys(current).length > 1) {
        refused[refusal.field] = reason;
        const { [refusal.field]: _dropped, ...rest } = current;
        current = rest;
        continue;
      }
      for (const k of Object.keys(current)) refused[k] = reason;
      return { applied: {}, refused };
    }
  }
  return { applied: {}, refused };
}

function reasonOf(err: unknown): string {
  const e = err as { condition?: string; text?: string; message?: string };
  return e.text ?? e.condition ?? e.message ?? String(err);
}
