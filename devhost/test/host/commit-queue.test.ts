/**
 * The local host's one SQLite group-commit queue (devhost/lib/commit-queue.ts), on a real better-sqlite3 database:
 * one transaction per turn, `done` only after commit, order kept, a failing write fails alone.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitQueue } from '../../lib/commit-queue';

let db: Database.Database;
let transactions = 0;
const store = {
  transaction(fn: () => void): void {
    transactions++;
    db.transaction(fn)();
  },
};
const rows = (): unknown[] => db.prepare('SELECT k, v FROM t ORDER BY rowid').all();
const insert = (k: string, v: number) => (): void => void db.prepare('INSERT INTO t(k, v) VALUES (?, ?)').run(k, v);

beforeEach(() => {
  db = new Database(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  transactions = 0;
});
afterEach(() => db.close());

describe('CommitQueue', () => {
  it('commits writes queued in one turn in one transaction, in order, and calls done only after the commit', async () => {
    const q = new CommitQueue(store);
    const seenAtDone: number[] = [];
    q.enqueue(insert('a', 1), () => seenAtDone.push(rows().length));
    q.enqueue(insert('b', 2));
    const last = q.run(insert('c', 3));
    expect(rows()).toEqual([]);
    await last;
    expect(transactions).toBe(1);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
      { k: 'c', v: 3 },
    ]);
    expect(seenAtDone).toEqual([3]);
    expect([q.commits, q.writes]).toEqual([1, 3]);
    await q.run(insert('d', 4));
    expect(transactions).toBe(2);
  });

  it('retries a failed batch write by write: the bad write gets its error (and onError), its neighbours commit', async () => {
    const errors: string[] = [];
    const q = new CommitQueue(store, { onError: (e) => errors.push(e.message) });
    const results = await Promise.allSettled([q.run(insert('a', 1)), q.run(insert('a', 2)), q.run(insert('b', 3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 3 },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/UNIQUE/);
  });

  it('flush commits at once; close flushes and then refuses new writes', async () => {
    const q = new CommitQueue(store);
    let done = false;
    q.enqueue(insert('a', 1), () => (done = true));
    q.flush();
    expect(done).toBe(true);
    q.enqueue(insert('b', 2));
    q.close();
    expect(rows()).toHaveLength(2);
    await expect(q.run(insert('c', 3))).rejects.toThrow('store is closed');
  });
});
