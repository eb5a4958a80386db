/** XML namespaces Parley speaks, in one place. */
export const NS = {
  client: 'jabber:client',
  roster: 'jabber:iq:roster',
  /** Stream features (RFC 6121 §2.6.1, §3.4): roster versioning and subscription pre-approval. */
  rosterVer: 'urn:xmpp:features:rosterver',
  preApproval: 'urn:xmpp:features:pre-approval',
  /** User nickname (XEP-0172), e.g. in a subscription request. */
  nick: 'http://jabber.org/protocol/nick',
  delay: 'urn:xmpp:delay',
  sid: 'urn:xmpp:sid:0',
  hints: 'urn:xmpp:hints',
  eme: 'urn:xmpp:eme:0',
  omemo: 'eu.siacs.conversations.axolotl',
  carbons: 'urn:xmpp:carbons:2',
  forward: 'urn:xmpp:forward:0',
  mam: 'urn:xmpp:mam:2',
  rsm: 'http://jabber.org/protocol/rsm',
  receipts: 'urn:xmpp:receipts',
  markers: 'urn:xmpp:chat-markers:0',
  chatstates: 'http://jabber.org/protocol/chatstates',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  /** Blocking Command (XEP-0191). */
  blocking: 'urn:xmpp:blocking',
  /** Message retraction (XEP-0424): `:1` is current; `:0` came inside XEP-0422 fastening, as MUC moderation v0 still does. */
  retract: 'urn:xmpp:message-retract:1',
  retract0: 'urn:xmpp:message-retract:0',
  fasten: 'urn:xmpp:fasten:0',
  /** Fallback indication (XEP-0428): which part of a body is there for clients without the feature. */
  fallback: 'urn:xmpp:fallback:0',
} as const;
