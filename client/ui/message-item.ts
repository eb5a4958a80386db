/** One message bubble. Bodies are text: newlines are kept by CSS (white-space: pre-wrap), never by markup. */
import type { MessageDTO } from '../../server/realtime/contract.js';
import { h } from './dom.js';
import { fullTime, messageTime, stateLabel } from './format.js';

const STATE_ICON: Record<string, string> = { pending: '◷', sent: '✓', delivered: '✓✓', displayed: '✓✓', failed: '!' };

export function messageItem(message: MessageDTO): HTMLLIElement {
  const readable = message.body !== null && message.body !== '';
  const body = readable
    ? h('p', { class: 'message-body', testid: 'message-body', text: message.body! })
    : h('p', {
        class: 'message-body message-encrypted',
        testid: 'message-body',
        text: message.encrypted !== null ? 'Encrypted message: this tab cannot decrypt it yet.' : '(empty message)',
      });
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
  return h(
    'li',
    {
      class: `message message-${message.direction} state-${message.state}`,
      testid: 'message',
      data: { id: message.id, direction: message.direction, state: message.state },
    },
    h('div', { class: 'bubble' }, body, meta),
    message.state === 'failed' ? h('p', { class: 'message-failed', text: 'Not sent.' }) : null,
  );
}
