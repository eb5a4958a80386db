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
  /** xml:lang of the name, when the entity names itself in several languages. */
  lang?: string;
}

/** An extended service discovery form (XEP-0128): its FORM_TYPE and the other fields' values. */
export interface ExtendedForm {
  formType: string;
  fields: Record<string, string[]>;
}

/** XEP-0115 §5.1 verification string (no extended forms), for an entity with one identity. */
export function capsVer(identity: Identity, features: string[]): string {
  return capsVerification([identity], features);
}

/**
 * XEP-0115 §5.1 in full: identities sorted by category/type/lang/name, features, then each extended form sorted by
 * FORM_TYPE with its fields sorted by var and each field's values sorted. '<' separates every item.
 */
export function capsVerification(identities: Identity[], features: string[], forms: ExtendedForm[] = []): string {
  const ids = identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name}`).sort(byOctets);
  let s = ids.map((i) => `${i}<`).join('') + [...new Set(features)].sort(byOctets).map((f) => `${f}<`).join('');
  for (const form of [...forms].sort((a, b) => byOctets(a.formType, b.formType))) {
    s += `${form.formType}<`;
    for (const name of Object.keys(form.fields).filter((n) => n !== 'FORM_TYPE').sort(byOctets)) {
      s += `${name}<` + [...form.fields[name]!].sort(byOctets).map((v) => `${v}<`).join('');
    }
  }
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

/** "i;octet" collation (RFC 4790), as XEP-0115 asks: compare UTF-8 bytes, not UTF-16 code units. */
function byOctets(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function buildCaps(ver: string): Element {
  return xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver });
}

export function buildDiscoInfoResult(identity: Identity, features: string[], node?: string): Element {
  return xml(
    'query',
    node ? { xmlns: NS_DISCO_INFO, node } : { xmlns: NS_DISCO_INFO },
    xml('identity', { category: identity.category, type: identity.type, name: identity.name }),
    ...[...new Set(features)].sort().map((v) => xml('feature', { var: v })),
  );
}
