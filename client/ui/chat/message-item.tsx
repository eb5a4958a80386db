/** One message bubble. Bodies are text: newlines are kept by CSS (white-space: pre-wrap), never by markup. */
import { useEffect, useState } from 'preact/hooks';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import { fullTime, messageTime, stateLabel } from '../format.js';
import { omemo } from '../../app/omemo-loader.js';
import { Attachment, EncryptedAttachment, isFileLinkText } from './attachment.js';
import { plaintextsArrived } from '../../state/tab.js';
import { t, type MessageKey } from '../../i18n/index.js';
import { app as english } from '../../i18n/catalog/app.en.js';
import { MessageActions } from './message-actions.js';
import { EditedMark } from './message-edits.js';
import { forDecryption } from './versions.js';
import { StyledBody } from './styling.js';
import { ReplyQuote, highlighted, rememberShown } from './reply.js';
import { stripFallback } from './reply-text.js';
import { ReactionBar } from './reactions.js';
import { QuickActions } from './quick-actions.js';
import { avatarColour } from '../xep0392.js';

type Trust = 'unverified' | 'verified' | 'compromised';
const TRUST_TEXT: Record<Trust, MessageKey> = { unverified: 'message.trust.unverified', verified: 'message.trust.verified', compromised: 'message.trust.compromised' };
const TRUST_TITLE: Record<Trust, MessageKey> = {
  unverified: 'message.trust.unverifiedTitle',
  verified: 'message.trust.verifiedTitle',
  compromised: 'message.trust.compromisedTitle',
};
const STATE_ICON: Record<string, string> = { pending: '◷', sent: '✓', delivered: '✓✓', displayed: '✓✓', failed: '!' };

/** What an encrypted bubble shows once this tab's device tried to read it. */
type Decrypted =
  | { status: 'pending' }
  | { status: 'unavailable' }
  | { status: 'ok' | 'plain'; text: string; trust?: Trust | 'own'; handedOverBy?: number }
  | { status: string; message: string };

export function MessageItem({ message }: { message: MessageDTO }) {
  const attachment = message.encrypted === null ? safeAttachment(message) : null;
  // The usual file message's body is just the link's URL: not worth saying twice.
  const bodyIsLink = attachment !== null && (message.body ?? '').trim() === message.attachment!.url;
  const decrypted = useDecrypted(message);
  const readable = decrypted && (decrypted.status === 'ok' || decrypted.status === 'plain') ? (decrypted as Extract<Decrypted, { text: string }>) : null;

  let body = null;
  // The text as shown: a reply's "> quote" fallback (XEP-0428) is left out, also after decryption.
  const shownText = message.retractedAt !== undefined ? null : readable ? stripFallback(readable.text, message.reply) : message.encrypted === null && message.body ? stripFallback(message.body, message.reply) : null;
  if (shownText !== null) rememberShown(message.id, shownText);
  if (message.moderated) {
    // XEP-0425: the room removed it for everyone; who did it and why, as the room says, shown as text.
    const { by, reason } = message.moderated;
    body = (
      <p class="message-body message-retracted message-moderated" data-testid="message-moderated">
        {by ? t('rooms.moderatedBy', { by }) : t('rooms.moderated')}
        {reason ? <span class="moderated-reason"> {t('rooms.moderatedReason', { reason })}</span> : null}
      </p>
    );
  } else if (message.retractedAt !== undefined) {
    body = <p class="message-body message-retracted" data-testid="message-retracted">{t('mutations.retracted')}</p>;
  } else if (message.encrypted !== null) {
    const text = readable
      ? shownText!
      : decrypted?.status === 'unavailable'
        ? t('message.e2eUnavailable')
        : decrypted && 'message' in decrypted
          ? displayText(decrypted.message)
          : t('message.decrypting');
    // XEP-0454: an encrypted message that is just an aesgcm:// link is a file.
    body = readable && isFileLinkText(readable.text) ? <EncryptedAttachment link={readable.text} /> : (
      <div class={`message-body${readable ? '' : ' message-encrypted'}`} data-testid="message-body" dir="auto" title={readable ? t('message.e2eTitle') : undefined}>
        {readable ? <StyledBody text={text} /> : text}
      </div>
    );
  } else if (!bodyIsLink) {
    body = <div class="message-body" data-testid="message-body" dir="auto">{shownText ? <StyledBody text={shownText} /> : attachment ? '' : t('message.empty')}</div>;
  }

  const badge =
    readable?.status === 'ok' && readable.handedOverBy !== undefined ? (
      <span class="trust-badge trust-verified" data-testid="message-handed-over" title={t('message.handedOverTitle', { device: readable.handedOverBy })}>
        {t('message.handedOver')}
      </span>
    ) : readable?.status === 'ok' && readable.trust && readable.trust !== 'own' ? (
      <span class={`trust-badge trust-${readable.trust}`} data-testid="message-trust" title={t(TRUST_TITLE[readable.trust])}>{t(TRUST_TEXT[readable.trust])}</span>
    ) : null;

  const encryption = message.encrypted === null || !decrypted || decrypted.status === 'pending' ? undefined : decrypted.status;
  // Inside the list's row element (VirtualList's <li>): the bubble is a block of its own.
  return (
    <div
      class={`message message-${message.direction} state-${message.state}${highlighted.value === message.id ? ' message-highlight' : ''}${message.mentionsMe && message.direction === 'in' ? ' message-mention' : ''}`}
      data-mention={message.mentionsMe && message.direction === 'in' ? 'true' : undefined}
      data-nick={message.nick}
      data-testid="message"
      data-id={message.id}
      data-direction={message.direction}
      data-state={message.state}
      data-encryption={encryption}
      data-trust={readable?.status === 'ok' && readable.handedOverBy === undefined && readable.trust !== 'own' ? readable.trust : undefined}
      data-handed-over={readable?.handedOverBy !== undefined ? String(readable.handedOverBy) : undefined}
    >
      <div class="bubble">
        {message.nick !== undefined && message.direction === 'in' && !message.peer.includes('/') ? (
          // A room message: the sender's nick, coloured by XEP-0392 of the nick (the same colour in every client).
          <bdi class="message-nick" data-testid="message-nick" style={{ color: avatarColour(message.nick) }}>{message.nick}</bdi>
        ) : null}
        {message.reply ? <ReplyQuote message={message} body={readable?.text ?? message.body ?? ''} /> : null}
        {attachment ? <Attachment href={attachment} name={message.attachment!.name} size={message.attachment!.size} type={message.attachment!.type} /> : null}
        {body}
        <div class="message-meta">
          {badge}
          <EditedMark message={message} />
          <time class="message-time" dateTime={message.stamp} title={fullTime(message.stamp)}>{messageTime(message.stamp)}</time>
          {message.claimedStamp ? (
            // The time a sender's delay claimed but Parley did not believe (too far from the arrival).
            <span class="message-claimed" data-testid="message-claimed" title={t('message.claimedTitle')}>{t('message.claimed', { time: fullTime(message.claimedStamp) })}</span>
          ) : null}
          {message.direction === 'out' ? (
            <span class={`message-state state-${message.state}`} role="img" aria-label={stateLabel(message.state)} title={stateLabel(message.state)}>
              {STATE_ICON[message.state] ?? ''}
            </span>
          ) : null}
          <MessageActions message={message} />
        </div>
      </div>
      <ReactionBar message={message} />
      {message.retractedAt === undefined && !message.moderated ? <QuickActions message={message} text={shownText} /> : null}
      {message.state === 'failed' ? <p class="message-failed">{t('message.notSent')}</p> : null}
    </div>
  );
}

/** The OMEMO layer explains an unreadable message in English (DISPLAY_MESSAGES): shown in the tab's language. */
const DISPLAY_KEYS: readonly MessageKey[] = [
  'decrypt.keyOnly', 'decrypt.notForThisDevice', 'decrypt.beforeThisBrowser', 'decrypt.noSession', 'decrypt.untrusted',
  'decrypt.duplicate', 'decrypt.sentTextLost', 'decrypt.malformed', 'decrypt.error', 'decrypt.noSender',
];
function displayText(text: string): string {
  const key = DISPLAY_KEYS.find((k) => english[k] === text);
  return key ? t(key) : text;
}

function safeAttachment(message: MessageDTO): string | null {
  const a = message.attachment;
  if (!a) return null;
  try {
    const href = new URL(a.url);
    return href.protocol === 'http:' || href.protocol === 'https:' ? href.href : null;
  } catch {
    return null;
  }
}

/** Decrypts an OMEMO message with this tab's device; again when its plaintext arrives from a history handover. */
function useDecrypted(message: MessageDTO): Decrypted | null {
  const [result, setResult] = useState<Decrypted | null>(message.encrypted === null ? null : { status: 'pending' });
  const arrived = plaintextsArrived.value;
  const retry = arrived.has(message.id) && !(result && (result.status === 'ok' || result.status === 'plain'));
  useEffect(() => {
    if (message.encrypted === null) return;
    let live = true;
    void (async () => {
      const service = await omemo();
      if (!live) return;
      if (!service) return setResult({ status: 'unavailable' });
      const r = await service.decryptMessage(forDecryption(message));
      if (live) setResult(r as Decrypted);
    })();
    return () => {
      live = false;
    };
    // A new version of the same message (a state change) keeps its plaintext: only a different payload decrypts again.
  }, [message.id, message.encrypted, message.version, retry ? arrived : null]);
  return result;
}
