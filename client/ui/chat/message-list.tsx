/**
 * The open conversation's messages, oldest first: loads older pages when the reader nears the top (what they were
 * looking at stays where it was), follows new messages while the reader is at the bottom, and tells the caller which
 * messages are on screen (read markers).
 */
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { MessageDTO } from '../../../server/realtime/contract.js';
import { MessageItem } from './message-item.js';
import { memo } from '../memo.js';

/** Start loading older messages this close to the top, so scrolling rarely has to wait. */
const LOAD_MARGIN_PX = 300;
const STICK_TO_BOTTOM_PX = 80;

export interface MessageListProps {
  peer: string;
  messages: readonly MessageDTO[];
  /** Shown above the first message: loading, errors, the beginning of the conversation. */
  status: preact.ComponentChildren;
  onNearStart: () => void;
  onShown: () => void;
  /** Bumped by the caller to jump to the newest message (e.g. after sending). */
  endRequest: number;
}

const Item = memo(MessageItem, (a, b) => a.message === b.message);

export function MessageList({ peer, messages, status, onNearStart, onShown, endRequest }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const shownPeer = useRef<string | null>(null);
  const lastEnd = useRef(endRequest);

  // Read before the DOM changes (render runs before the commit): where the reader is, to keep it after the update.
  const el = scroller.current;
  const peerChanged = shownPeer.current !== peer;
  const stick = peerChanged || !el || el.scrollHeight - el.scrollTop - el.clientHeight < STICK_TO_BOTTOM_PX || lastEnd.current !== endRequest;
  const keep = !stick && el && list.current ? anchor(el, list.current) : null;

  useLayoutEffect(() => {
    const box = scroller.current;
    if (!box) return;
    shownPeer.current = peer;
    lastEnd.current = endRequest;
    if (stick) box.scrollTop = box.scrollHeight;
    else if (keep?.el.isConnected) box.scrollTop = keep.el.offsetTop - keep.offset;
    onShown();
    if (box.scrollTop < LOAD_MARGIN_PX || box.scrollHeight <= box.clientHeight) onNearStart();
  });

  return (
    <div
      ref={scroller}
      class="message-list"
      data-testid="message-list"
      tabIndex={0}
      aria-label={undefined}
      aria-labelledby="conversation-title"
      role="log"
      aria-live="off"
      onScroll={(e) => {
        if ((e.currentTarget as HTMLElement).scrollTop < LOAD_MARGIN_PX) onNearStart();
      }}
    >
      <div class="history-status" aria-live="polite">{status}</div>
      <ol id="messages" ref={list} class="messages">
        {messages.map((m) => <Item key={m.id} message={m} />)}
      </ol>
    </div>
  );
}

/** The first message at least partly visible, and its offset from the top of the viewport. */
function anchor(scroller: HTMLElement, list: HTMLElement): { el: HTMLElement; offset: number } | null {
  for (let el = list.firstElementChild as HTMLElement | null; el; el = el.nextElementSibling as HTMLElement | null) {
    if (el.offsetTop + el.offsetHeight > scroller.scrollTop) return { el, offset: el.offsetTop - scroller.scrollTop };
  }
  return null;
}
