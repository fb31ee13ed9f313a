/** A binary min-heap of durable timers by fire time (ties by row id, so equal times fire in creation order). */
import type { TimerItem } from './types';

export class TimerHeap {
  private items: TimerItem[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): TimerItem | undefined {
    return this.items[0];
  }

  push(t: TimerItem): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): TimerItem | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(x: TimerItem, y: TimerItem): boolean {
  return x.fireAt < y.fireAt || (x.fireAt === y.fireAt && x.rowId < y.rowId);
}
