/** One message bubble. Bodies are text: newlines are kept by CSS (white-space: pre-wrap), never by markup. */
import type { MessageDTO } from '../../server/realtime/contract.js';
import { h } from './dom.js';
import { fullTime, messageTime, stateLabel } from './format.js';
import { omemo } from '../app/omemo-loader.js';
import { formatBytes } from './format-bytes.js';

const TRUST_TEXT = { unverified: 'unverified device', verified: 'verified', compromised: 'compromised device' } as const;
const TRUST_TITLE = {
  unverified: "Encrypted by a device whose fingerprint you have not verified. Check it under Security.",
  verified: 'Encrypted by a device you verified.',
  compromised: 'From a device you marked as compromised: do not trust this message.',
} as const;

/** The message each encrypted bubble shows: a bubble still without text is filled in again when its plaintext arrives. */
const encryptedItems = new WeakMap<HTMLElement, MessageDTO>();
const READABLE = new Set(['ok', 'plain']);

const STATE_ICON: Record<string, string> = { pending: '◷', sent: '✓', delivered: '✓✓', displayed: '✓✓', failed: '!' };

export function messageItem(message: MessageDTO): HTMLLIElement {
  const attachment = message.encrypted === null ? attachmentLink(message) : null;
  // The usual file message's body is just the link's URL: not worth saying twice.
  const bodyIsLink = attachment !== null && (message.body ?? '').trim() === message.attachment!.url;
  const body =
    message.encrypted !== null
      ? h('p', { class: 'message-body message-encrypted', testid: 'message-body', text: 'Decrypting…' })
      : bodyIsLink
        ? null
        : h('p', { class: 'message-body', testid: 'message-body', text: message.body || (attachment ? '' : '(empty message)') });
  const meta = h(
    'span',
    { class: 'message-meta' },
    h('time', { class: 'message-time', text: messageTime(message.stamp), attrs: { datetime: message.stamp, title: fullTime(message.stamp) } }),
    message.direction === 'out'
      ? h('span', {
          class: `message-state state-${message.state}`,
          text: STATE_ICON[message.state] ?? '',
          attrs: { role: 'img', 'aria-label': stateLabel(message.state), title: stateLabel(message.state) },
        })
      : null,
  );
  const item = h(
    'li',
    {
      class: `message message-${message.direction} state-${message.state}`,
      testid: 'message',
      data: { id: message.id, direction: message.direction, state: message.state },
    },
    h('div', { class: 'bubble' }, attachment, body, meta),
    message.state === 'failed' ? h('p', { class: 'message-failed', text: 'Not sent.' }) : null,
  );
  if (message.encrypted !== null && body) {
    encryptedItems.set(item, message);
    void showDecrypted(message, item, body);
  }
  return item;
}

/** Plaintexts of these messages arrived (a history handover): bubbles that could not show them try again. */
export function refreshDecrypted(ids: string[]): void {
  for (const id of ids) {
    for (const item of document.querySelectorAll<HTMLElement>(`[data-testid="message"][data-id="${CSS.escape(id)}"]`)) {
      const message = encryptedItems.get(item);
      const body = item.querySelector<HTMLElement>('[data-testid="message-body"]');
      if (message && body && !READABLE.has(item.dataset.encryption ?? '')) void showDecrypted(message, item, body);
    }
  }
}

/**
 * A shared file as a plain link (text = its name). Never an <img>: loading it would tell the sender who read the
 * message and when. Only http(s) links, checked again here in case a server sent something else.
 */
function attachmentLink(message: MessageDTO): HTMLElement | null {
  const a = message.attachment;
  if (!a) return null;
  let href: URL;
  try {
    href = new URL(a.url);
  } catch {
    return null;
  }
  if (href.protocol !== 'http:' && href.protocol !== 'https:') return null;
  return h(
    'p',
    { class: 'message-file' },
    h('a', {
      class: 'message-attachment',
      testid: 'message-attachment',
      text: a.name,
      attrs: { href: href.href, target: '_blank', rel: 'noopener noreferrer nofollow', title: a.name },
    }),
    a.size !== undefined ? h('span', { class: 'message-attachment-size', text: ` ${formatBytes(a.size)}` }) : null,
  );
}

/** Fills in an OMEMO message once this tab's device has read it (or says, in words, why it cannot). Text only. */
async function showDecrypted(message: MessageDTO, item: HTMLElement, body: HTMLElement): Promise<void> {
  const service = await omemo();
  if (!service) {
    body.textContent = 'Encrypted message: end-to-end encryption is not available in this tab.';
    item.dataset.encryption = 'unavailable';
    return;
  }
  const result = await service.decryptMessage(message);
  item.dataset.encryption = result.status;
  if (result.status === 'ok' || result.status === 'plain') {
    body.textContent = result.text;
    body.classList.remove('message-encrypted');
    body.title = 'End-to-end encrypted (OMEMO)';
    if (result.status === 'ok' && result.handedOverBy !== undefined) {
      // Its sender's signature stayed with the browser that decrypted it: the handing device vouches for the text.
      item.dataset.handedOver = String(result.handedOverBy);
      item.querySelector('.message-meta')?.prepend(
        h('span', { class: 'trust-badge trust-verified', testid: 'message-handed-over', text: 'from your other browser', attrs: { title: `Decrypted by your device ${result.handedOverBy} and handed over to this browser, encrypted end to end.` } }),
      );
    } else if (result.status === 'ok' && result.trust !== 'own') {
      // Blind trust on first use is allowed, but shown: the reader sees which messages come from an unverified device.
      item.dataset.trust = result.trust;
      item.querySelector('.message-meta')?.prepend(
        h('span', { class: `trust-badge trust-${result.trust}`, testid: 'message-trust', text: TRUST_TEXT[result.trust], attrs: { title: TRUST_TITLE[result.trust] } }),
      );
    }
  } else {
    body.textContent = result.message;
  }
}
