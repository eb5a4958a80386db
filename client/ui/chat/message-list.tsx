/**
 * The open conversation's messages, oldest first, in the shared VirtualList: only the bubbles near the viewport are in
 * the DOM. Older pages load when the reader nears the top (what they look at stays where it was), new messages are
 * followed while the reader is at the bottom, and the newest incoming message counts as read once it is on screen.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
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
  /** Opened around an older message: the reader nears the newest loaded one, load newer. */
  onNearEnd?: () => void;
  /** A search hit: scrolled to once it is loaded, and highlighted. */
  focusId?: string | null;
}

// Stable functions (VirtualList recomputes keys or re-renders rows when they change).
const keyOf = (m: MessageDTO): string => m.id;
const renderMessage = (m: MessageDTO) => <MessageItem message={m} />;
const rowProps = () => ({ class: 'message-row' });
/** How close to the newest loaded message (in messages) counts as near the end. */
const NEAR_END = 5;

export function MessageList({ peer, messages, status, onNearStart, onSeenEnd, endRequest, onNearEnd, focusId = null }: MessageListProps) {
  const list = useRef<VirtualListHandle>(null);
  useReplyJump(peer, messages, list);
  // The focused message's row is marked; the props function changes only with it (rows re-render then).
  const itemProps = useMemo(
    () => (focusId === null ? rowProps : (m: MessageDTO) => (m.id === focusId ? { class: 'message-row is-focused', 'data-focused': 'true' } : { class: 'message-row' })),
    [focusId],
  );
  const scrolledTo = useRef<string | null>(null);
  useEffect(() => {
    if (focusId === null || scrolledTo.current === focusId || !messages.some((m) => m.id === focusId)) return;
    if (list.current?.scrollToKey(focusId, { align: 'center' })) scrolledTo.current = focusId;
  }, [messages, focusId]);
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
    if (onNearEnd && range.end >= messages.length - NEAR_END) onNearEnd();
  };
  return (
    <VirtualList
      handle={list}
      items={messages}
      keyOf={keyOf}
      renderItem={renderMessage}
      itemProps={itemProps}
      estimateHeight={56}
      followEnd={focusId === null}
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
