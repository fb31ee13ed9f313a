/**
 * Group commit: writes queued in the same event-loop turn share one SQLite transaction; each writer's `done`
 * runs only after that transaction committed, so no effect (running an activity, waking an instance, answering
 * an HTTP call) is ever visible before its state is durable.
 *
 * If a batch fails, its writes are retried one per transaction so one bad write fails alone.
 */
import type { DurableStore } from './store';

interface Pending {
  apply: () => void;
  done: (error?: Error) => void;
}

export class CommitQueue {
  private batch: Pending[] = [];
  private scheduled = false;
  commits = 0;
  writes = 0;

  constructor(private readonly store: DurableStore) {}

  enqueue(apply: () => void, done: (error?: Error) => void): void {
    this.batch.push({ apply, done });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Promise form, for callers that await the commit (HTTP handlers). */
  run(apply: () => void): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue(apply, (e) => (e ? reject(e) : resolve())));
  }

  flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    this.batch = [];
    if (!batch.length) return;
    try {
      this.store.transaction(() => {
        for (const p of batch) p.apply();
      });
      this.commits++;
      this.writes += batch.length;
    } catch {
      for (const p of batch) {
        try {
          this.store.transaction(p.apply);
          this.commits++;
          this.writes++;
        } catch (e) {
          p.done(e as Error);
          continue;
        }
        p.done();
      }
      return;
    }
    for (const p of batch) p.done();
  }
}
