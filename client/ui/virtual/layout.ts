/**
 * The geometry of a virtualised list, without any DOM: the item keys in order, each item's height (measured, or the
 * estimate until it has been rendered), the offsets, the range to render for a scroll position, and the reader's
 * anchor (which item is at the top of the viewport, and where), so that after the list changed the scroll position
 * that keeps the reader's view still can be computed.
 *
 * Offsets are relative to the top of the list. Items are separated by `gap` px (CSS `gap` of a flex column): an item's
 * slot is its height plus the gap, and the list is `gap` shorter than the sum of its slots.
 */
import { SizeTree } from './fenwick.js';

export interface Anchor {
  key: string;
  /** The item's top minus the scroll position: 0 when it starts at the top edge, negative when partly scrolled past. */
  offsetWithinViewport: number;
}

export interface Range {
  /** First index to render. */
  start: number;
  /** One past the last index to render. */
  end: number;
}

export class VirtualLayout {
  private keyList: readonly string[] = [];
  /**
   * Every key's sequence number; an item's index is its number minus `firstSeq`. Prepending and appending only number
   * the new keys (counting down from the first, up from the last), so loading an older page costs O(page), not O(n).
   */
  private seq = new Map<string, number>();
  private firstSeq = 0;
  /** Measured heights by index; NaN: not measured yet (the estimate stands in). */
  private measured = new Float64Array(0);
  private tree = new SizeTree(new Float64Array(0));
  /** How many times the whole key map was rebuilt (prepends and appends should not): for tests and benchmarks. */
  fullRekeys = 0;

  constructor(
    private estimate: number,
    private gap = 0,
  ) {}

  get keys(): readonly string[] {
    return this.keyList;
  }

  get gapPx(): number {
    return this.gap;
  }

  get count(): number {
    return this.keyList.length;
  }

  get totalHeight(): number {
    return this.count === 0 ? 0 : this.tree.prefix(this.count) - this.gap;
  }

  indexOf(key: string): number {
    const s = this.seq.get(key);
    return s === undefined ? -1 : s - this.firstSeq;
  }

  /** Replaces the list. Keys must be unique. Prepends and appends keep what is known; anything else re-keys (O(n)). */
  setKeys(keys: readonly string[]): void {
    const old = this.keyList;
    if (keys === old) return;
    const added = this.prependedAndAppended(keys);
    if (added) this.extend(keys, added.before);
    else this.rekey(keys);
  }

  /** Records a measured height; false when it did not change anything. */
  setHeight(key: string, height: number): boolean {
    const i = this.indexOf(key);
    if (i < 0 || this.measured[i] === height) return false;
    this.measured[i] = height;
    this.tree.set(i, height + this.gap);
    return true;
  }

  isMeasured(key: string): boolean {
    const i = this.indexOf(key);
    return i >= 0 && !Number.isNaN(this.measured[i]!);
  }

  heightOf(index: number): number {
    return this.tree.size(index) - this.gap;
  }

  /** Changes the gap between items (the list's CSS changed); every offset moves. */
  setGap(gap: number): void {
    if (gap === this.gap) return;
    this.gap = gap;
    this.rebuildTree();
  }

  /** Changes the height assumed for unmeasured items. */
  setEstimate(estimate: number): void {
    if (estimate === this.estimate) return;
    this.estimate = estimate;
    this.rebuildTree();
  }

  /** The top of item `index` (or the end of the list for index = count). */
  offsetOf(index: number): number {
    if (index >= this.count) return this.totalHeight;
    return this.tree.prefix(index);
  }

  offsetOfKey(key: string): number | null {
    const i = this.indexOf(key);
    return i < 0 ? null : this.offsetOf(i);
  }

  /** The index of the item under `offset` (clamped to the list). -1 when the list is empty. */
  indexAt(offset: number): number {
    return this.tree.indexAt(offset);
  }

  /** Items that intersect [scrollTop - overscan, scrollTop + viewport + overscan]. */
  range(scrollTop: number, viewportHeight: number, overscanPx = 0): Range {
    if (this.count === 0) return { start: 0, end: 0 };
    const start = this.indexAt(Math.max(0, scrollTop - overscanPx));
    const bottom = scrollTop + viewportHeight + overscanPx;
    const last = this.indexAt(bottom);
    // An item that starts exactly at the bottom edge is not visible.
    const end = this.offsetOf(last) >= bottom && last > start ? last : last + 1;
    return { start, end: Math.min(end, this.count) };
  }

  /** The first item at least partly visible at `scrollTop`, and where it is. Null when the list is empty. */
  anchorAt(scrollTop: number): Anchor | null {
    if (this.count === 0) return null;
    let i = this.indexAt(Math.max(0, scrollTop));
    // On a gap, the item below is the one the reader sees.
    if (i < this.count - 1 && this.offsetOf(i) + this.heightOf(i) <= scrollTop) i++;
    return { key: this.keyList[i]!, offsetWithinViewport: this.offsetOf(i) - scrollTop };
  }

  /** The scroll position that puts the anchor's item where it was. Null when that item is gone. */
  scrollTopFor(anchor: Anchor): number | null {
    const top = this.offsetOfKey(anchor.key);
    return top === null ? null : top - anchor.offsetWithinViewport;
  }

  /** If `keys` is the current list with keys only added before and/or after it: how many before. */
  private prependedAndAppended(keys: readonly string[]): { before: number } | null {
    const old = this.keyList;
    if (old.length === 0 || keys.length < old.length) return null;
    let before = 0;
    while (before < keys.length && !this.seq.has(keys[before]!)) before++;
    if (before + old.length > keys.length) return null;
    for (let i = 0; i < old.length; i++) if (keys[before + i] !== old[i]) return null;
    for (let i = before + old.length; i < keys.length; i++) if (this.seq.has(keys[i]!)) return null;
    return { before };
  }

  private extend(keys: readonly string[], before: number): void {
    const oldCount = this.count;
    if (keys.length === oldCount) {
      this.keyList = keys; // the same keys in a new array
      return;
    }
    const measured = new Float64Array(keys.length).fill(NaN);
    measured.set(this.measured, before);
    const lastSeq = this.firstSeq + oldCount;
    this.firstSeq -= before;
    for (let i = 0; i < before; i++) this.seq.set(keys[i]!, this.firstSeq + i);
    for (let i = before + oldCount; i < keys.length; i++) this.seq.set(keys[i]!, lastSeq + (i - before - oldCount));
    this.keyList = keys;
    this.measured = measured;
    this.rebuildTree();
  }

  private rekey(keys: readonly string[]): void {
    this.fullRekeys++;
    const measured = new Float64Array(keys.length).fill(NaN);
    const seq = new Map<string, number>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (seq.has(key)) throw new Error(`duplicate key in virtual list: ${key}`);
      seq.set(key, i);
      const was = this.indexOf(key);
      if (was >= 0) measured[i] = this.measured[was]!;
    }
    this.seq = seq;
    this.firstSeq = 0;
    this.keyList = keys;
    this.measured = measured;
    this.rebuildTree();
  }

  private rebuildTree(): void {
    const sizes = new Float64Array(this.measured.length);
    for (let i = 0; i < sizes.length; i++) {
      const h = this.measured[i]!;
      sizes[i] = (Number.isNaN(h) ? this.estimate : h) + this.gap;
    }
    this.tree = new SizeTree(sizes);
  }
}
