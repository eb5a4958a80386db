/** Errors of the XMPP connection layer: why a login failed, and what an entity answered to a stanza. */
import type { Element } from '@xmpp/xml';
import { translateEn, type ServerTranslate } from '../../client/i18n/english.js';

export type LoginFailure = 'not-authorized' | 'unreachable' | 'timeout' | 'stream-error' | 'tls-failed' | 'no-mechanism' | 'bad-jid';

/** The one answer for every failure before an XMPP stream opened (refused, unreachable, timeout, not XMPP, a private address). */
export function unreachableMessage(domain: string, t: ServerTranslate = translateEn): string {
  return t('xmpp.unreachable', { domain });
}

export class XmppLoginError extends Error {
  override name = 'XmppLoginError';
  constructor(readonly condition: LoginFailure, message?: string, options?: { cause?: unknown }) {
    super(message ?? condition, options);
  }
}

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** An `<error/>` answer to a stanza (RFC 6120 §8.3), or a local failure such as a timeout. */
export class XmppStanzaError extends Error {
  override name = 'XmppStanzaError';
  constructor(
    readonly condition: string,
    readonly type?: string,
    readonly text?: string,
    readonly stanza?: Element,
  ) {
    super(text ? `${condition} - ${text}` : condition);
  }

  /** Reads the defined condition out of a stanza of type "error". */
  static fromStanza(stanza: Element): XmppStanzaError {
    const error = stanza.getChild('error');
    const condition = error?.getChildElements().find((c) => c.getNS() === NS_STANZAS && c.name !== 'text')?.name ?? 'undefined-condition';
    const text = error?.getChildText('text', NS_STANZAS) ?? undefined;
    return new XmppStanzaError(condition, error?.attrs.type, text || undefined, stanza);
  }
}

/** A stream error the server sent (RFC 6120 §4.9), e.g. conflict, system-shutdown, undefined-condition. */
export class XmppStreamError extends Error {
  override name = 'XmppStreamError';
  constructor(readonly condition: string, readonly text?: string) {
    super(text ? `stream error ${condition} - ${text}` : `stream error ${condition}`);
  }

  static fromElement(el: Element): XmppStreamError {
    const ns = 'urn:ietf:params:xml:ns:xmpp-streams';
    const condition = el.getChildElements().find((c) => c.getNS() === ns && c.name !== 'text')?.name ?? 'undefined-condition';
    return new XmppStreamError(condition, el.getChildText('text', ns) ?? undefined);
  }
}
