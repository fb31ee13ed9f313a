/** The local host's one min-heap (devhost/lib/heap.ts): durable timers, Service Bus sequence numbers and deadlines. */
import { describe, expect, it } from 'vitest';
import { ascending, MinHeap } from '../../lib/heap';

function drain<T>(h: MinHeap<T>): T[] {
  const out: T[] = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
  return out;
}

describe('MinHeap', () => {
  it('pops numbers in ascending order whatever the push order, duplicates included', () => {
    let seed = 7;
    const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 1000;
    const values = Array.from({ length: 2000 }, rand);
    const h = new MinHeap<number>(ascending);
    for (const v of values) h.push(v);
    expect(h.size).toBe(2000);
    expect(h.peek()).toBe(Math.min(...values));
    expect(drain(h)).toEqual([...values].sort((a, b) => a - b));
    expect(h.size).toBe(0);
    expect(h.peek()).toBeUndefined();
  });

  it('keeps order when pushes and pops interleave', () => {
    const h = new MinHeap<number>(ascending);
    for (const v of [5, 3, 9]) h.push(v);
    expect(h.pop()).toBe(3);
    h.push(1);
    h.push(7);
    expect(h.pop()).toBe(1);
    h.push(4);
    expect(drain(h)).toEqual([4, 5, 7, 9]);
  });

  it('orders by the comparator, which breaks ties itself (durable timers: fire time, then row id)', () => {
    const h = new MinHeap<{ fireAt: number; rowId: number }>((a, b) => a.fireAt - b.fireAt || a.rowId - b.rowId);
    for (const [fireAt, rowId] of [
      [20, 4],
      [10, 9],
      [20, 1],
      [10, 2],
      [5, 8],
    ] as const)
      h.push({ fireAt, rowId });
    expect(drain(h).map((t) => `${t.fireAt}/${t.rowId}`)).toEqual(['5/8', '10/2', '10/9', '20/1', '20/4']);
  });

  it('clear empties it', () => {
    const h = new MinHeap<number>(ascending);
    h.push(1);
    h.push(2);
    h.clear();
    expect(h.size).toBe(0);
    expect(h.pop()).toBeUndefined();
  });
});
