/** Answers disco#info and pings, and computes the caps hash our presence carries (so PEP notifications reach us). */
import { xml } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import { buildCaps, buildDiscoInfoResult, capsVer, CAPS_NODE, NS_CAPS, NS_DISCO_INFO, type Identity } from '../stanza/caps.js';
import { NS } from '../stanza/ns.js';
import { NS_OOB } from '../stanza/oob.js';
import { NS_CORRECT } from '../stanza/correction.js';
import { NS_RETRACT } from '../stanza/retraction.js';
import { NS_REACTIONS } from '../stanza/reactions.js';
import { NS_FALLBACK, NS_REPLY } from '../stanza/reply.js';
import { NS_BOOKMARKS2_NOTIFY } from '../stanza/bookmarks.js';
import { NS_CONFERENCE } from '../stanza/muc.js';
import { registerSoftwareInfo, softwareFeatures } from './software.js';
import { XmppStanzaError } from '../xmpp/errors.js';
import { NS_MUC } from '../stanza/muc.js';

const IDENTITY: Identity = { category: 'client', type: 'web', name: 'Parley' };

/** Every feature Parley implements, named once for disco and caps (software info: as configured at boot). */
export function features(): string[] {
  return [...BASE_FEATURES, ...softwareFeatures()];
}

const BASE_FEATURES = [
  NS_DISCO_INFO,
  NS_CAPS,
  'urn:xmpp:ping',
  NS.receipts,
  NS.markers,
  NS.sid,
  NS.eme,
  NS_OOB,
  // Message mutations: chat states (XEP-0085), corrections (XEP-0308), retraction (XEP-0424).
  NS.chatstates,
  NS_CORRECT,
  NS_RETRACT,
  'eu.siacs.conversations.axolotl.devicelist+notify',
  'urn:xmpp:avatar:metadata+notify',
  // Message rendering: reactions (XEP-0444), replies (XEP-0461) with their fallback (XEP-0428), styling (XEP-0393).
  NS_REACTIONS,
  NS_REPLY,
  NS_FALLBACK,
  'urn:xmpp:styling:0',
  // Group chats (XEP-0045): the server's session joins rooms.
  NS_MUC,
  // Rooms: bookmark notifications from our other clients (XEP-0402), direct invitations (XEP-0249).
  NS_BOOKMARKS2_NOTIFY,
  NS_CONFERENCE,
];

/** XEP-0115 verification string of what we advertise. */
export function advertisedCapsVer(): string {
  return capsVer(IDENTITY, features());
}

export function capsElement() {
  return buildCaps(advertisedCapsVer());
}

/** Disco, ping, and the software queries (version, time: features/software.ts) every session answers. */
export function registerDisco(ctx: SessionContext): void {
  ctx.conn.onIq('get', NS_DISCO_INFO, (iq) => {
    const node = iq.getChild('query', NS_DISCO_INFO)?.attrs.node;
    // XEP-0030 §7: a node we do not have is <item-not-found/> (an empty result would claim the node exists, with no features).
    if (node && node !== `${CAPS_NODE}#${advertisedCapsVer()}`) throw new XmppStanzaError('item-not-found', 'cancel');
    return xml('iq', { type: 'result' }, buildDiscoInfoResult(IDENTITY, features(), node ? String(node) : undefined));
  });
  ctx.conn.onIq('get', 'urn:xmpp:ping', () => xml('iq', { type: 'result' }));
  registerSoftwareInfo(ctx);
}
