/**
 * Replies (XEP-0461) in the view: the quote block above a reply's text, the jump to the quoted message (scrolled to
 * and highlighted; older pages loaded until it appears, or "not available"), and the composer's "Replying to …".
 */
import { signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import type { VirtualListHandle } from '../virtual/VirtualList.js';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';
import { buildFallback, fallbackQuote, isReplyTarget, stripFallback } from './reply-text.js';

/** The message the composer replies to (with the text its bubble showed), per tab: one conversation is open at a time. */
export const replyingTo = signal<{ message: MessageDTO; text: string } | null>(null);
/**
 * What each bubble of this tab showed (decrypted, fallback stripped), by row id: a quote of an OMEMO message reads it
 * here, never from the server. Memory only, bounded like the loaded history.
 */
export const shownTexts = new Map<string, string>();
const MAX_SHOWN = 5000;

export function rememberShown(id: string, text: string): void {
  if (shownTexts.get(id) === text) return;
  shownTexts.delete(id);
  shownTexts.set(id, text);
  if (shownTexts.size > MAX_SHOWN) shownTexts.delete(shownTexts.keys().next().value!);
}

/** A message's text as a quote shows it: what its bubble showed, else its plain body without its own fallback. */
export function quotedText(m: MessageDTO): string | null {
  return shownTexts.get(m.id) ?? (m.encrypted === null && m.body ? stripFallback(m.body, m.reply) : null);
}
/** A quote was clicked: the message list scrolls to the message with that id (attribute or origin-id). */
export const jumpRequest = signal<{ peer: string; id: string; n: number } | null>(null);
/** The row id just jumped to, highlighted for a moment. */
export const highlighted = signal<string | null>(null);
/** The last jump found nothing (the message is not in the history we can load). */
export const jumpMissing = signal<string | null>(null);

/** How many older pages a jump may load before it gives up. */
const MAX_JUMP_PAGES = 20;
const HIGHLIGHT_MS = 2000;
const MISSING_MS = 6000;

function missing(id: string): void {
  jumpRequest.value = null;
  jumpMissing.value = id;
  setTimeout(() => jumpMissing.value === id && (jumpMissing.value = null), MISSING_MS);
}

/** The quoted message's text: ours if we hold it (plain, or decrypted by `readText`), else the fallback's. */
export function ReplyQuote({ message, body }: { message: MessageDTO; body: string }) {
  const { state } = useServices();
  const reply = message.reply!;
  const target = state.messages.get(message.peer).messages.find((m) => isReplyTarget(m, reply.id));
  const held = target ? quotedText(target) : null;
  const text = held ?? fallbackQuote(body, reply) ?? t('reply.unknown');
  const author = target ? (target.direction === 'out' ? t('reactions.you') : state.contacts.displayName(target.peer)) : null;
  return (
    <button
      type="button"
      class="reply-quote"
      data-testid="reply-quote"
      title={t('reply.jump')}
      onClick={() => (jumpRequest.value = { peer: message.peer, id: reply.id, n: (jumpRequest.value?.n ?? 0) + 1 })}
    >
      {author ? <span class="reply-author" dir="auto">{author}</span> : null}
      <span class="reply-text" dir="auto">{text}</span>
    </button>
  );
}

/** In the message list: carries out jump requests for this conversation. */
export function useReplyJump(peer: string, messages: readonly MessageDTO[], list: { current: VirtualListHandle | null }): void {
  const { history } = useServices();
  const pages = useRef(0);
  const request = jumpRequest.value;
  // A new click starts afresh (and hides an earlier "not available"); the request ending must not.
  useEffect(() => {
    if (!request) return;
    pages.current = 0;
    jumpMissing.value = null;
  }, [request?.n]);
  useEffect(() => {
    if (!request || request.peer !== peer) return;
    const target = messages.find((m) => isReplyTarget(m, request.id));
    if (target) {
      jumpRequest.value = null;
      list.current?.scrollToKey(target.id);
      highlighted.value = target.id;
      setTimeout(() => highlighted.value === target.id && (highlighted.value = null), HIGHLIGHT_MS);
      return;
    }
    if (history.isLoading(peer)) return;
    if (messages.length === 0 || pages.current >= MAX_JUMP_PAGES) return missing(request.id);
    pages.current++;
    const before = messages.length;
    history.loadOlder(peer);
    // Nothing more to load (the beginning of the conversation): the quoted message is not in our history.
    if (!history.isLoading(peer) && messages.length === before) missing(request.id);
  }, [request, messages, history.revision.value]);
}

/** Above the composer while replying. */
export function ReplyingBanner({ peer }: { peer: string }) {
  const { state } = useServices();
  const replying = replyingTo.value;
  if (!replying || replying.message.peer !== peer) return null;
  const target = replying.message;
  const who = target.direction === 'out' ? t('reactions.you') : state.contacts.displayName(target.peer);
  const cps = Array.from(replying.text);
  return (
    <div class="replying" data-testid="replying">
      <span class="replying-label">{t('reply.replyingTo', { name: who })}</span>
      <span class="replying-text" dir="auto">{cps.length > 120 ? `${cps.slice(0, 120).join('')}…` : replying.text}</span>
      <button type="button" class="button-quiet" data-testid="reply-cancel" aria-label={t('reply.cancel')} title={t('reply.cancel')} onClick={() => (replyingTo.value = null)}>
        ✕
      </button>
    </div>
  );
}

/** Below the list: a quote's message could not be found in the history (shown for a few seconds). */
export function JumpNotice() {
  if (!jumpMissing.value) return null;
  return <p class="reply-missing" data-testid="reply-missing" role="status">{t('reply.missing')}</p>;
}

/**
 * The body to send when the composer replies to a message (XEP-0461): the "> quote" fallback (XEP-0428) first, its
 * length in code points for the server. The reply is used up. Too long with the quote: sent without the quote.
 */
export function withReplyFallback(peer: string, body: string, max: number): { text: string; replyTo?: { id: string; fallbackLength: number } } {
  const replying = replyingTo.value;
  if (!replying || replying.message.peer !== peer) return { text: body };
  replyingTo.value = null;
  const fallback = buildFallback(replying.text);
  if (fallback.text.length + body.length > max) return { text: body, replyTo: { id: replying.message.id, fallbackLength: 0 } };
  return { text: fallback.text + body, replyTo: { id: replying.message.id, fallbackLength: fallback.length } };
}
