/**
 * Prefix sums of item sizes (a Fenwick / binary indexed tree): point update, prefix sum and "which item holds this
 * offset" in O(log n), and a linear-time build, so a list of 100,000 items answers every scroll in microseconds.
 */
export class SizeTree {
  private tree: Float64Array;
  private readonly sizes: Float64Array;

  /** Takes ownership of `sizes` (one entry per item). */
  constructor(sizes: Float64Array) {
    this.sizes = sizes;
    this.tree = new Float64Array(sizes.length + 1);
    // Linear build: each node adds itself to its parent once.
    for (let i = 1; i <= sizes.length; i++) {
      this.tree[i]! += sizes[i - 1]!;
      const parent = i + (i & -i);
      if (parent <= sizes.length) this.tree[parent]! += this.tree[i]!;
    }
  }

  get length(): number {
    return this.sizes.length;
  }

  size(index: number): number {
    return this.sizes[index]!;
  }

  set(index: number, size: number): void {
    const delta = size - this.sizes[index]!;
    if (delta === 0) return;
    this.sizes[index] = size;
    for (let i = index + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }

  /** Sum of the sizes of items [0, count). */
  prefix(count: number): number {
    let sum = 0;
    for (let i = Math.min(count, this.sizes.length); i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  /** The index of the item that covers `offset` (the last item whose start is <= offset); length - 1 past the end. */
  indexAt(offset: number): number {
    const n = this.sizes.length;
    if (n === 0) return -1;
    let pos = 0;
    let remaining = offset;
    for (let step = 1 << (31 - Math.clz32(n)); step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && this.tree[next]! <= remaining) {
        pos = next;
        remaining -= this.tree[next]!;
      }
    }
    return Math.min(pos, n - 1);
  }
}
