/**
 * A virtualised list: only the items near the viewport are in the DOM, so 100,000 messages or 2,000 contacts scroll
 * like 30. The geometry lives in VirtualLayout (DOM-free); this component renders the range, measures what it
 * rendered, and keeps the reader's view still while the list changes:
 * - prepended items (an older page) and height changes above the viewport do not move the item the reader looks at;
 * - with `followEnd`, a reader at the bottom stays at the bottom when items are appended or grow;
 * - the item holding keyboard focus stays rendered even far outside the range, so focus is never lost.
 * The space of the items not rendered is the list element's padding, set through element.style (CSSOM): no style
 * attribute in the markup, so a strict style-src CSP holds (the list's own CSS padding, read once, is kept on top).
 * Items must not have vertical margins: use the list's CSS `gap`, which the layout reads. One instance per
 * conversation (key={peer}): the anchor and the measured heights belong to one list.
 */
import { Component, h, type ComponentChildren, type HTMLAttributes, type JSX, type Ref } from 'preact';
import { useImperativeHandle, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { VirtualLayout, type Anchor } from './layout.js';

export type Align = 'start' | 'center' | 'end';

export interface VirtualListHandle {
  /** Scrolls so the item is shown (default: centred). False when no item has that key. */
  scrollToKey(key: string, options?: { align?: Align }): boolean;
  scrollToEnd(): void;
  /** Whether the reader is at the end (within `endSlackPx`). */
  isAtEnd(): boolean;
}

export interface VisibleRange {
  /** First index at least partly visible; end is one past the last. */
  start: number;
  end: number;
  firstKey: string;
  lastKey: string;
}

type ItemAttributes = HTMLAttributes<HTMLElement> & Record<`data-${string}`, string | number | undefined>;

export interface VirtualListProps<T> {
  /** The items in order. A new array when they change (keys are recomputed per new array, O(n)). */
  items: readonly T[];
  /** A unique, stable key per item. Keep the function stable too (module level): a new one recomputes every key. */
  keyOf(item: T): string;
  /** The content of one item (inside its `itemTag` element). Keep it a stable function: rows re-render when it changes. */
  renderItem(item: T, index: number): ComponentChildren;
  /** Height assumed for an item not rendered yet (px). */
  estimateHeight: number;
  /** Extra px rendered above and below the viewport (default 600). */
  overscanPx?: number;
  /** The list element (default 'ol'); it has role="list" whatever the tag. */
  tag?: 'ol' | 'ul' | 'div';
  /** Each item's element (default 'li', or 'div' with role="listitem" in a 'div' list). */
  itemTag?: 'li' | 'div';
  /** Attributes of each item's element: class, data-testid, data-*. Keep it a stable function. */
  itemProps?(item: T, index: number): ItemAttributes;
  /** Class, label and test id of the list element. */
  listClass?: string;
  listId?: string;
  listLabel?: string;
  listTestid?: string;
  /** Class and test id of the scroll container, and any other attribute of it (id, tabIndex, aria-label). */
  className?: string;
  testid?: string;
  scrollerAttrs?: HTMLAttributes<HTMLDivElement>;
  /** Rendered inside the scroll container, above the list (e.g. "Loading older messages…"). */
  header?: ComponentChildren;
  /** Chat: a reader at the end stays at the end when items are added or grow. */
  followEnd?: boolean;
  /** Contact list: a reader at the very start stays there when items come in above (a new conversation on top). */
  followStart?: boolean;
  /** Open at the end (default: followEnd). */
  startAtEnd?: boolean;
  /** How close to the end counts as "at the end" (default 80 px). */
  endSlackPx?: number;
  /**
   * Called when the reader is within `nearStartPx` (default 300) of the start: load older items. It comes on every
   * scroll event there and after every change of the item count while there, so it must ignore calls while loading.
   */
  onNearStart?(): void;
  nearStartPx?: number;
  /** Called when the set of (at least partly) visible items changed: read markers. */
  onVisible?(range: VisibleRange): void;
  handle?: Ref<VirtualListHandle>;
}

const DEFAULT_OVERSCAN = 600;

/** What the component knows between renders; kept out of state so scrolling does not re-render unless the range moves. */
interface Memory {
  /** The reader's view: which item is at the top and where. */
  anchor: Anchor | null;
  atEnd: boolean;
  /** A pending scrollToKey: applied again after measurements until the reader scrolls. */
  align: { key: string; align: Align } | null;
  focusedKey: string | null;
  /** Rendered rows by key, and back. */
  elements: Map<string, HTMLElement>;
  keysOf: WeakMap<Element, string>;
  rendered: { start: number; end: number; focused: number };
  viewport: number;
  /** The list's top inside the scroll container's content. */
  listTop: number;
  /** The scrollTop this component last wrote (its own scroll events are not the reader's). */
  wroteTop: number;
  /** The list-relative scroll position last seen (a scroll event or a write). */
  seenTop: number;
  /** The keys at the last sync: unchanged keys and a moved scroll position mean a scroll event is still on its way. */
  syncedKeys: readonly string[];
  lastVisible: string;
  lastCount: number;
  /** The list's own CSS padding, read before the spacers take the padding over. */
  basePad: { top: number; bottom: number } | null;
  cssStale: boolean;
  /** The reader scrolled at least once (startAtEnd without followEnd holds only until then). */
  userScrolled: boolean;
  /** The scroll container was not displayed at the last sync. */
  hidden: boolean;
}

export function VirtualList<T>(props: VirtualListProps<T>): JSX.Element {
  const overscan = props.overscanPx ?? DEFAULT_OVERSCAN;
  const scrollerRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLElement>(null);
  const headerRef = useRef<HTMLDivElement>(null);
  const layout = useMemo(() => new VirtualLayout(props.estimateHeight), []);
  const mem = useRef<Memory>({
    anchor: null,
    atEnd: props.startAtEnd ?? props.followEnd ?? false,
    align: null,
    focusedKey: null,
    elements: new Map(),
    keysOf: new WeakMap(),
    rendered: { start: 0, end: 0, focused: -1 },
    viewport: 0,
    listTop: 0,
    wroteTop: -1,
    seenTop: 0,
    syncedKeys: [],
    lastVisible: '',
    lastCount: -1,
    basePad: null,
    cssStale: true,
    userScrolled: false,
    hidden: false,
  }).current;
  const [, setVersion] = useState(0);
  const rerender = () => setVersion((v) => v + 1);
  // The latest props for the listeners, which are installed once.
  const latest = useRef(props);
  latest.current = props;

  const { items, keyOf } = props;
  const keys = useMemo(() => items.map(keyOf), [items, keyOf]);
  layout.setKeys(keys);
  layout.setEstimate(props.estimateHeight);

  /** Whether the view should be at the end: following it, or opening there before the reader scrolled. */
  const toEnd = (): boolean => mem.align === null && mem.atEnd && (latest.current.followEnd === true || !mem.userScrolled);

  /** Where the top of the viewport should be, in list coordinates, for the current list and the reader's view. */
  const targetTop = (): number => {
    let top: number | null = null;
    if (mem.align) top = alignedTop(layout, mem.align, mem.viewport);
    else if (toEnd()) top = layout.totalHeight - mem.viewport;
    else if (latest.current.followStart && mem.seenTop <= -mem.listTop + 1) top = -mem.listTop;
    else if (mem.anchor) top = layout.scrollTopFor(mem.anchor);
    return Math.max(top ?? mem.seenTop, -mem.listTop);
  };

  // Rendering: the range around the target, plus the focused item wherever it is.
  const top = targetTop();
  const range = layout.range(top, mem.viewport, overscan);
  const focused = mem.focusedKey === null ? -1 : layout.indexOf(mem.focusedKey);
  const outside = focused >= 0 && (focused < range.start || focused >= range.end) ? focused : -1;
  mem.rendered = { ...range, focused: outside };
  const indices: number[] = [];
  if (outside >= 0 && outside < range.start) indices.push(outside);
  for (let i = range.start; i < range.end; i++) indices.push(i);
  if (outside >= range.end) indices.push(outside);

  const host = useMemo<RowHost>(
    () => ({
      register(key, el) {
        mem.elements.set(key, el);
        mem.keysOf.set(el, key);
        observer.current?.observe(el);
      },
      unregister(key, el) {
        if (mem.elements.get(key) === el) mem.elements.delete(key);
        observer.current?.unobserve(el);
      },
    }),
    [],
  );
  const observer = useRef<ResizeObserver | null>(null);

  /**
   * Measures the rendered rows, sets the spacers and the scroll position that keeps the reader's view, and asks for a
   * re-render when the rows do not cover the viewport any more. Runs after every render and on every resize.
   */
  const sync = (): void => {
    const scroller = scrollerRef.current;
    const list = listRef.current;
    if (!scroller || !list) return;
    // Hidden (display: none, e.g. the conversation view on a narrow screen): nothing to measure, and the browser resets
    // the scroll position; the anchor is kept for when it shows again.
    if (scroller.clientHeight === 0 && scroller.getClientRects().length === 0) {
      mem.hidden = true;
      return;
    }
    const wasHidden = mem.hidden;
    mem.hidden = false;
    // The reader scrolled and its event is not here yet: that position is the view to keep, not the last one seen.
    if (!wasHidden && mem.align === null && mem.syncedKeys === layout.keys && Math.abs(scroller.scrollTop - mem.listTop - mem.seenTop) >= 1) {
      mem.seenTop = scroller.scrollTop - mem.listTop;
      mem.anchor = layout.anchorAt(mem.seenTop);
    }
    mem.syncedKeys = layout.keys;
    // The list's CSS is read once, and again when the viewport resized (a media query may have changed it).
    if (mem.basePad === null || mem.cssStale) {
      const css = getComputedStyle(list);
      mem.basePad ??= { top: parseFloat(css.paddingTop) || 0, bottom: parseFloat(css.paddingBottom) || 0 };
      const cssGap = parseFloat(css.rowGap);
      layout.setGap(Number.isFinite(cssGap) ? cssGap : 0);
      mem.cssStale = false;
    }
    const gap = layout.gapPx;
    for (const [key, el] of mem.elements) layout.setHeight(key, el.getBoundingClientRect().height);
    mem.viewport = scroller.clientHeight;
    // List coordinates start where the first item would be with no spacer.
    mem.listTop = list.getBoundingClientRect().top - scroller.getBoundingClientRect().top - scroller.clientTop + scroller.scrollTop + mem.basePad.top;

    // The rows not rendered are padding; the focused row kept outside the range takes its own slot out of it.
    const { start, end, focused } = mem.rendered;
    const slot = (i: number) => layout.heightOf(i) + gap;
    let padTop = layout.offsetOf(start);
    let padBottom = end < layout.count ? layout.totalHeight + gap - layout.offsetOf(end) : 0;
    if (focused >= 0 && focused < start) padTop -= slot(focused);
    if (focused >= 0 && focused >= end) padBottom -= slot(focused);
    list.style.paddingTop = `${mem.basePad.top + Math.max(0, padTop)}px`;
    list.style.paddingBottom = `${mem.basePad.bottom + Math.max(0, padBottom)}px`;

    const wanted = toEnd() ? scroller.scrollHeight - scroller.clientHeight : mem.listTop + targetTop();
    if (Math.abs(scroller.scrollTop - wanted) >= 0.5) scroller.scrollTop = wanted;
    mem.wroteTop = scroller.scrollTop;
    mem.seenTop = scroller.scrollTop - mem.listTop;
    if (mem.align === null) mem.anchor = layout.anchorAt(mem.seenTop);
    if (mem.lastCount !== layout.count) {
      mem.lastCount = layout.count;
      nearStart(mem.seenTop);
    }
    afterScroll(mem.seenTop);
  };

  /** After any change of position: report what is visible, and re-render if the rows no longer cover the viewport. */
  const afterScroll = (top: number): void => {
    const needed = layout.range(top, mem.viewport, overscan / 2);
    const { start, end } = mem.rendered;
    if (needed.start < start || needed.end > end || end - start > 4 * (needed.end - needed.start) + 20) rerender();
    const onVisible = latest.current.onVisible;
    if (onVisible && layout.count > 0) {
      const visible = layout.range(top, mem.viewport, 0);
      const firstKey = layout.keys[visible.start]!;
      const lastKey = layout.keys[visible.end - 1]!;
      const id = `${firstKey}\n${lastKey}`;
      if (id !== mem.lastVisible) {
        mem.lastVisible = id;
        onVisible({ ...visible, firstKey, lastKey });
      }
    }
  };

  const nearStart = (top: number): void => {
    const p = latest.current;
    if (p.onNearStart && top < (p.nearStartPx ?? 300)) p.onNearStart();
  };

  const syncRef = useRef(sync);
  syncRef.current = sync;
  useLayoutEffect(() => sync());

  // Listeners installed once: scrolling, focus, and one ResizeObserver for every row, the viewport and the header.
  useLayoutEffect(() => {
    const scroller = scrollerRef.current!;
    const list = listRef.current!;
    scroller.style.overflowAnchor = 'none'; // this component anchors; the browser's own anchoring would fight it
    const onScroll = (): void => {
      if (mem.hidden) return;
      const p = latest.current;
      const own = Math.abs(scroller.scrollTop - mem.wroteTop) < 1;
      const top = scroller.scrollTop - mem.listTop;
      mem.seenTop = top;
      mem.atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= (p.endSlackPx ?? 80);
      if (!own) {
        mem.userScrolled = true;
        mem.align = null;
        mem.anchor = layout.anchorAt(top);
        mem.wroteTop = -1;
        nearStart(top);
      }
      afterScroll(top);
    };
    const rowOf = (target: EventTarget | null): string | null => {
      for (let el = target instanceof Element ? target : null; el && el !== list; el = el.parentElement) {
        if (el.parentElement === list) return mem.keysOf.get(el) ?? null;
      }
      return null;
    };
    const onFocusIn = (e: FocusEvent): void => {
      mem.focusedKey = rowOf(e.target);
    };
    const onFocusOut = (e: FocusEvent): void => {
      if (!(e.relatedTarget instanceof Node) || !list.contains(e.relatedTarget)) {
        mem.focusedKey = null;
        rerender();
      }
    };
    scroller.addEventListener('scroll', onScroll, { passive: true });
    list.addEventListener('focusin', onFocusIn);
    list.addEventListener('focusout', onFocusOut);
    // Sizes are measured in sync(); a resize only matters when it differs from what the layout holds.
    const ro = new ResizeObserver((entries) => {
      let changed = false;
      for (const entry of entries) {
        if (entry.target === scroller) mem.cssStale = changed = true;
        const key = mem.keysOf.get(entry.target);
        if (key === undefined) {
          changed = true; // the viewport or the header
          continue;
        }
        const size = entry.borderBoxSize?.[0]?.blockSize ?? (entry.target as HTMLElement).getBoundingClientRect().height;
        const i = layout.indexOf(key);
        if (i >= 0 && Math.abs(layout.heightOf(i) - size) > 0.01) changed = true;
      }
      if (changed) syncRef.current();
    });
    observer.current = ro;
    ro.observe(scroller);
    if (headerRef.current) ro.observe(headerRef.current);
    for (const el of mem.elements.values()) ro.observe(el);
    return () => {
      scroller.removeEventListener('scroll', onScroll);
      list.removeEventListener('focusin', onFocusIn);
      list.removeEventListener('focusout', onFocusOut);
      ro.disconnect();
      observer.current = null;
    };
  }, []);

  useImperativeHandle(
    props.handle ?? null,
    () => ({
      scrollToKey(key, options) {
        if (layout.indexOf(key) < 0) return false;
        mem.align = { key, align: options?.align ?? 'center' };
        mem.atEnd = false;
        rerender();
        return true;
      },
      scrollToEnd() {
        mem.align = null;
        mem.atEnd = true;
        mem.anchor = null;
        rerender();
      },
      isAtEnd: () => mem.atEnd,
    }),
    [],
  );

  const tag = props.tag ?? 'ol';
  const itemTag = props.itemTag ?? (tag === 'div' ? 'div' : 'li');
  const rows = indices.map((i) => {
    const item = items[i]!;
    return h(Row as RowType<T>, {
      key: keys[i]!,
      itemKey: keys[i]!,
      item,
      index: i,
      setsize: items.length,
      tag: itemTag,
      renderItem: props.renderItem,
      itemProps: props.itemProps,
      host,
    });
  });
  const list = h(
    tag,
    {
      ref: listRef as Ref<HTMLOListElement>,
      class: props.listClass,
      id: props.listId,
      // Explicit: Safari drops the list role of a list styled list-style: none.
      role: 'list',
      'aria-label': props.listLabel,
      'data-testid': props.listTestid,
    },
    rows,
  );
  return (
    <div {...props.scrollerAttrs} ref={scrollerRef} class={props.className} data-testid={props.testid}>
      <div ref={headerRef}>{props.header}</div>
      {list}
    </div>
  );
}

/** The list-relative scroll position that shows `align.key` as asked. */
function alignedTop(layout: VirtualLayout, target: { key: string; align: Align }, viewport: number): number | null {
  const i = layout.indexOf(target.key);
  if (i < 0) return null;
  const top = layout.offsetOf(i);
  const height = layout.heightOf(i);
  if (target.align === 'start') return top;
  if (target.align === 'end') return top + height - viewport;
  return top - (viewport - height) / 2;
}

interface RowHost {
  register(key: string, el: HTMLElement): void;
  unregister(key: string, el: HTMLElement): void;
}

interface RowProps<T> {
  itemKey: string;
  item: T;
  index: number;
  setsize: number;
  tag: 'li' | 'div';
  renderItem(item: T, index: number): ComponentChildren;
  itemProps?(item: T, index: number): ItemAttributes;
  host: RowHost;
}

type RowType<T> = new (props: RowProps<T>) => Component<RowProps<T>>;

/** One item: re-renders only when its item, position or renderers changed, so scrolling costs only the new rows. */
class Row<T> extends Component<RowProps<T>> {
  private el: HTMLElement | null = null;

  private readonly setEl = (el: HTMLElement | null): void => {
    if (this.el) this.props.host.unregister(this.props.itemKey, this.el);
    this.el = el;
    if (el) this.props.host.register(this.props.itemKey, el);
  };

  override shouldComponentUpdate(next: RowProps<T>): boolean {
    const p = this.props;
    return next.item !== p.item || next.index !== p.index || next.setsize !== p.setsize || next.renderItem !== p.renderItem || next.itemProps !== p.itemProps || next.tag !== p.tag;
  }

  override render(): ComponentChildren {
    const { item, index, setsize, tag, renderItem, itemProps } = this.props;
    return h(
      tag,
      {
        ...itemProps?.(item, index),
        ref: this.setEl,
        role: tag === 'div' ? 'listitem' : undefined,
        'aria-posinset': index + 1,
        'aria-setsize': setsize,
      } as HTMLAttributes<HTMLElement>,
      renderItem(item, index),
    );
  }
}
