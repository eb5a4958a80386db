/** Client State Indication (XEP-0352): tell the server whether a user is looking, so it can hold back what is not urgent. */
import { xml, type Element } from '@xmpp/xml';

export const NS_CSI = 'urn:xmpp:csi:0';

export function buildClientState(active: boolean): Element {
  return xml(active ? 'active' : 'inactive', { xmlns: NS_CSI });
}
