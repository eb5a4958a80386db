/**
 * The open conversation's messages, oldest first, in the shared VirtualList: only the bubbles near the viewport are in
 * the DOM. Older pages load when the reader nears the top (what they look at stays where it was), new messages are
 * followed while the reader is at the bottom, and the newest incoming message counts as read once it is on screen.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import { MessageItem } from './message-item.js';
import { useReplyJump } from './reply.js';
import { VirtualList, type VirtualListHandle, type VisibleRange } from '../virtual/VirtualList.js';

export interface MessageListProps {
  peer: string;
  messages: readonly MessageDTO[];
  /** Shown above the first message: loading, errors, the beginning of the conversation. */
  status: preact.ComponentChildren;
  onNearStart: () => void;
  /** The reader sees the newest message: read markers may go out. */
  onSeenEnd: () => void;
  /** Bumped by the caller to jump to the newest message (e.g. after sending). */
  endRequest: number;
}

// Stable functions (VirtualList recomputes keys or re-renders rows when they change).
const keyOf = (m: MessageDTO): string => m.id;
const renderMessage = (m: MessageDTO) => <MessageItem message={m} />;
const rowProps = () => ({ class: 'message-row' });

export function MessageList({ peer, messages, status, onNearStart, onSeenEnd, endRequest }: MessageListProps) {
  const list = useRef<VirtualListHandle>(null);
  useReplyJump(peer, messages, list);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else list.current?.scrollToEnd();
  }, [endRequest]);
  // A new message while the reader is at the end is seen at once (the list follows it).
  useEffect(() => {
    if (list.current?.isAtEnd()) onSeenEnd();
  }, [messages]);

  const onVisible = (range: VisibleRange): void => {
    if (range.end >= messages.length) onSeenEnd();
  };
  return (
    <VirtualList
      handle={list}
      items={messages}
      keyOf={keyOf}
      renderItem={renderMessage}
      itemProps={rowProps}
      estimateHeight={56}
      followEnd
      onNearStart={onNearStart}
      onVisible={onVisible}
      className="message-list"
      testid="message-list"
      scrollerAttrs={{ tabIndex: 0, role: 'log', 'aria-live': 'off', 'aria-labelledby': 'conversation-title' }}
      header={<div class="history-status" aria-live="polite">{status}</div>}
      listClass="messages"
      listId="messages"
    />
  );
}
