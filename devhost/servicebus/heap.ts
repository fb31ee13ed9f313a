/** Binary min-heap ordered by a numeric key. Entries are validated lazily by their users (stale entries allowed). */
export class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly key: (t: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    const k = this.key(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as T;
      if (this.key(parent) <= k) break;
      a[i] = parent;
      i = p;
    }
    a[i] = item;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      const k = this.key(last);
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && this.key(a[r] as T) < this.key(a[l] as T) ? r : l;
        if (this.key(a[c] as T) >= k) break;
        a[i] = a[c] as T;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
