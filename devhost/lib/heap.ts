/**
 * A binary min-heap ordered by a comparator (negative: `a` comes first). The local host's one priority queue:
 * durable timers by fire time, Service Bus messages by sequence number, scheduled and expiring messages by time.
 *
 * Invariants: `peek`/`pop` return an item no other item is less than; items that compare equal come out in no
 * particular order, so a comparator that needs a stable order breaks ties itself (e.g. by row id). Users may leave
 * stale items in the heap and skip them when they pop them.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    let i = a.length;
    a.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as T;
      if (this.compare(item, parent) >= 0) break;
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
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && this.compare(a[r] as T, a[l] as T) < 0 ? r : l;
        if (this.compare(a[c] as T, last) >= 0) break;
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

/** Ascending numbers (sequence numbers, times). */
export const ascending = (a: number, b: number): number => a - b;
