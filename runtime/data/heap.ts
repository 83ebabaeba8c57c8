/**
 * A binary min-heap under a caller's order. `top` keeps its n best rows in one, with the worst at
 * the root, so each new row costs one comparison unless it beats the worst.
 */
export class Heap<T> {
  private readonly items: T[] = [];

  /** `before(a, b)` is true when a must sit nearer the root than b. */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  /** Replaces the root with x and restores the order: a pop and a push in one sift. */
  replaceRoot(x: T): void {
    const a = this.items;
    a[0] = x;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.before(a[l]!, a[m]!)) m = l;
      if (r < n && this.before(a[r]!, a[m]!)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }

  /** The items in no particular order; the heap is left as it was. */
  toArray(): T[] {
    return [...this.items];
  }
}
