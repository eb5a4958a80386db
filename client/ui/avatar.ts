/** A letter avatar with a presence dot. */
import type { Presence } from '../../server/realtime/contract.js';
import { h } from './dom.js';
import { colourSlot, initial, presenceLabel } from './format.js';

export function presenceDot(show: Presence): HTMLSpanElement {
  return h('span', { class: `presence-dot presence-${show}`, attrs: { role: 'img', 'aria-label': presenceLabel(show), title: presenceLabel(show) } });
}

export function avatar(jid: string, name: string, show: Presence | null): HTMLSpanElement {
  return h(
    'span',
    { class: `avatar avatar-${colourSlot(jid)}`, attrs: { 'aria-hidden': show === null ? 'true' : undefined } },
    h('span', { class: 'avatar-letter', text: initial(name), attrs: { 'aria-hidden': 'true' } }),
    show === null ? null : presenceDot(show),
  );
}
