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
import type { PresenceLine } from '../../state/rooms.js';
import { PresenceLineItem } from '../rooms/presence-line.js';

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
  /** A room's coalesced join/leave lines, placed among the messages by time (not stored on the server). */
  presenceLines?: readonly PresenceLine[] | undefined;
  /** The conversation's beginning is loaded: lines older than its first message are shown too. */
  fromStart?: boolean;
}

type Item = MessageDTO | PresenceLine;
const isLine = (item: Item): item is PresenceLine => 'joined' in item;

/** Messages with the presence lines merged in by time; the messages' own array when there are none. */
function timeline(messages: readonly MessageDTO[], lines: readonly PresenceLine[] | undefined, fromStart: boolean): readonly Item[] {
  if (!lines || lines.length === 0) return messages;
  const out: Item[] = [];
  let i = 0;
  // Lines older than the oldest loaded message belong to a stretch not shown: left out, not piled on top.
  const oldest = messages[0] && !fromStart ? Date.parse(messages[0].stamp) : -Infinity;
  const shown = lines.filter((l) => Date.parse(l.at) >= oldest);
  for (const m of messages) {
    const at = Date.parse(m.stamp);
    while (i < shown.length && Date.parse(shown[i]!.at) < at) out.push(shown[i++]!);
    out.push(m);
  }
  while (i < shown.length) out.push(shown[i++]!);
  return out;
}

// Stable functions (VirtualList recomputes keys or re-renders rows when they change).
const keyOf = (m: Item): string => (isLine(m) ? m.key : m.id);
const renderMessage = (m: Item) => (isLine(m) ? <PresenceLineItem line={m} /> : <MessageItem message={m} />);
const rowProps = (m: Item) => ({ class: isLine(m) ? 'message-row presence-row' : 'message-row' });
/** How close to the newest loaded message (in messages) counts as near the end. */
const NEAR_END = 5;

export function MessageList({ peer, messages, status, onNearStart, onSeenEnd, endRequest, onNearEnd, focusId = null, presenceLines, fromStart = false }: MessageListProps) {
  const items = useMemo(() => timeline(messages, presenceLines, fromStart), [messages, presenceLines, fromStart]);
  const list = useRef<VirtualListHandle>(null);
  useReplyJump(peer, messages, list);
  // The focused message's row is marked; the props function changes only with it (rows re-render then).
  const itemProps = useMemo(
    () => (focusId === null ? rowProps : (m: Item) => (!isLine(m) && m.id === focusId ? { class: 'message-row is-focused', 'data-focused': 'true' } : rowProps(m))),
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
    if (range.end >= items.length) onSeenEnd();
    if (onNearEnd && range.end >= items.length - NEAR_END) onNearEnd();
  };
  return (
    <VirtualList
      handle={list}
      items={items}
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
