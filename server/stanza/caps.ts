/**
 * Service discovery (XEP-0030) answers and entity capabilities (XEP-0115), so PEP sends us the
 * notifications we ask for with `+notify` features (XEP-0163 §4.3).
 */
import { createHash } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const CAPS_NODE = 'https://parley.chat';

export interface Identity {
  category: string;
  type: string;
  name: string;
}

/** XEP-0115 §5.1 verification string (no extended forms). */
export function capsVer(identity: Identity, features: string[]): string {
  const s = `${identity.category}/${identity.type}//${identity.name}<` + [...new Set(features)].sort().map((f) => `${f}<`).join('');
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

export function buildCaps(ver: string): Element {
  return xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver });
}

export function buildDiscoInfoResult(identity: Identity, features: string[], node?: string): Element {
  return xml(
    'query',
    node ? { xmlns: NS_DISCO_INFO, node } : { xmlns: NS_DISCO_INFO },
    xml('identity', { ...identity }),
    ...[...new Set(features)].sort().map((v) => xml('feature', { var: v })),
  );
}
