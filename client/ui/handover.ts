/**
 * The history handover's dialogs. In an old browser: "a new browser was set up" with its fingerprint to compare and the
 * conversations to pick. In the new browser: the offer with its own fingerprint and the sender's, to accept or refuse,
 * then what was stored and each message that was left out. Every text is set as text.
 */
import type { Handover, HandoverEvent, IncomingOffer, NewDeviceOffer } from '../omemo/handover.js';
import type { AppState } from '../state/app-state.js';
import { h } from './dom.js';

export function mountHandover(handover: Handover, state: AppState): void {
  const dialog = h('dialog', { class: 'security-dialog handover-dialog', testid: 'handover-dialog', attrs: { 'aria-label': 'History handover' } });
  const content = h('div');
  const refused = h('ul', { class: 'handover-errors', testid: 'handover-refused' });
  dialog.append(content, refused);
  document.body.append(dialog);
  /** The offer on screen; a newer one waits until this one is settled. */
  let busy = false;
  const queue: HandoverEvent[] = [];

  const open = (): void => {
    if (!dialog.open) dialog.showModal();
  };
  const close = (): void => {
    busy = false;
    content.replaceChildren();
    refused.replaceChildren();
    if (dialog.open) dialog.close();
    const next = queue.shift();
    if (next) show(next);
  };
  dialog.addEventListener('cancel', (e) => {
    if (busy) e.preventDefault(); // an offer is answered with its buttons, not with Escape
  });

  const closeButton = (): HTMLButtonElement => {
    const b = h('button', { class: 'button-quiet', text: 'Close', testid: 'handover-close', attrs: { type: 'button' } });
    b.addEventListener('click', close);
    return b;
  };
  const status = (): HTMLElement => h('p', { class: 'security-result', testid: 'handover-status', attrs: { role: 'status' } });
  const fingerprintLine = (label: string, testid: string, fp: string, note?: string): HTMLElement =>
    h('p', {}, h('span', { text: `${label} ` }), h('code', { class: 'fingerprint', testid, text: fp }), note ? h('span', { text: ` ${note}` }) : null);

  const showNewDevice = (offer: NewDeviceOffer): void => {
    busy = true;
    const line = status();
    const list = h('fieldset', { class: 'handover-conversations' }, h('legend', { text: 'Conversations to hand over' }));
    const conversations = state.conversations.all();
    for (const c of conversations) {
      const box = h('input', { testid: 'handover-conversation', attrs: { type: 'checkbox', value: c.peer } });
      list.append(h('label', { class: 'handover-conversation' }, box, h('span', { text: ` ${state.contacts.displayName(c.peer)}` })));
    }
    if (conversations.length === 0) list.append(h('p', { text: 'No conversations yet.' }));
    const send = h('button', { class: 'button-primary', text: 'Hand over the chosen conversations', testid: 'handover-send', attrs: { type: 'button' } });
    const dismiss = h('button', { class: 'button-quiet', text: 'Do not hand over', testid: 'handover-dismiss', attrs: { type: 'button' } });
    dismiss.addEventListener('click', () => void handover.dismiss(offer.deviceId).finally(close));
    send.addEventListener('click', () => {
      const peers = [...list.querySelectorAll<HTMLInputElement>('input[type="checkbox"]:checked')].map((b) => b.value);
      if (peers.length === 0) {
        line.textContent = 'Pick at least one conversation.';
        return;
      }
      send.disabled = true;
      dismiss.disabled = true;
      handover
        .send(offer.deviceId, peers, (text) => (line.textContent = text))
        .then((r) => {
          const left = r.left ? ` ${r.left} could not be sent (too long or too many).` : '';
          const rejected = r.rejected ? ` It left out ${r.rejected}.` : '';
          line.textContent = `Done: the new browser stored ${r.stored} of ${r.sent} messages.${rejected}${left}`;
        })
        .catch((err: Error) => {
          line.textContent = `The history was not handed over: ${err.message}`;
          line.classList.add('form-error');
        })
        .finally(() => {
          busy = false;
          content.querySelector('.handover-actions')?.replaceChildren(closeButton());
        });
    });
    content.replaceChildren(
      h('h2', { text: 'A new browser was set up for your account' }),
      h('p', { text: `Device ${offer.deviceId} cannot read the messages encrypted before it existed. This browser can send it the ones it can read, end-to-end encrypted for that device only: the server cannot read them.` }),
      fingerprintLine('Its fingerprint:', 'handover-new-fingerprint', offer.fingerprint),
      h('p', { class: 'security-hint', text: 'The new browser shows its own fingerprint. Hand over only if the two match.' }),
      fingerprintLine("This browser's fingerprint (the new browser shows it too):", 'handover-own-fingerprint', offer.ownFingerprint),
      list,
      h('div', { class: 'security-actions handover-actions' }, send, dismiss),
      line,
    );
    open();
  };

  const showIncoming = (offer: IncomingOffer): void => {
    busy = true;
    const line = status();
    const errors = h('ul', { class: 'handover-errors', testid: 'handover-errors' });
    const accept = h('button', { class: 'button-primary', text: 'Accept the history', testid: 'handover-accept', attrs: { type: 'button' } });
    const refuse = h('button', { class: 'button-quiet', text: 'Refuse', testid: 'handover-refuse', attrs: { type: 'button' } });
    const actions = h('div', { class: 'security-actions handover-actions' }, accept, refuse);
    refuse.addEventListener('click', () => void handover.decline(offer.handover).finally(close));
    accept.addEventListener('click', () => {
      accept.disabled = true;
      refuse.disabled = true;
      line.textContent = 'Waiting for the history…';
      handover.accept(offer.handover).catch((err: Error) => {
        line.textContent = `Could not accept: ${err.message}`;
        actions.replaceChildren(closeButton());
        busy = false;
      });
    });
    const total = offer.conversations.reduce((n, c) => n + c.count, 0);
    content.replaceChildren(
      h('h2', { text: 'History from your other browser' }),
      h('p', { text: `Device ${offer.from} of your account offers ${total} earlier messages, end-to-end encrypted for this browser:` }),
      h('ul', {}, ...offer.conversations.map((c) => h('li', { text: `${state.contacts.displayName(c.peer)}: ${c.count} messages` }))),
      fingerprintLine('Its fingerprint:', 'handover-sender-fingerprint', offer.fingerprint, offer.alreadyVerified ? '(verified)' : undefined),
      fingerprintLine("This browser's fingerprint:", 'handover-own-fingerprint', offer.ownFingerprint),
      h('p', { class: 'security-hint', text: 'Compare both with what the other browser shows. Accept only if they match: the messages are then readable in this browser.' }),
      actions,
      line,
      errors,
    );
    dialog.dataset.handover = offer.handover;
    open();
  };

  const onReceived = (e: Extract<HandoverEvent, { kind: 'received' }>): void => {
    if (dialog.dataset.handover !== e.handover) return;
    const line = content.querySelector<HTMLElement>('[data-testid="handover-status"]');
    if (line) line.textContent = e.done ? `History handed over: ${e.stored} messages are readable now.` : `Stored ${e.stored} messages so far…`;
    const errors = content.querySelector('[data-testid="handover-errors"]');
    errors?.replaceChildren(...e.errors.map((text) => h('li', { text })));
    if (e.done) {
      busy = false;
      content.querySelector('.handover-actions')?.replaceChildren(closeButton());
    }
  };

  const show = (e: HandoverEvent): void => {
    if ((e.kind === 'new-device' || e.kind === 'incoming') && busy) {
      queue.push(e);
      return;
    }
    if (e.kind === 'new-device') showNewDevice(e.offer);
    else if (e.kind === 'incoming') showIncoming(e.offer);
    else if (e.kind === 'received') onReceived(e);
    else if (e.kind === 'refused') {
      if (!dialog.open) content.replaceChildren(h('h2', { text: 'History handover' }), h('div', { class: 'handover-actions' }, closeButton()));
      refused.append(h('li', { class: 'form-error', text: e.error }));
      open();
    }
  };
  handover.onEvent(show);
}
