/**
 * Group commit for the local host's SQLite stores (durable task hub, Service Bus messages): writes queued in the
 * same event-loop turn share one transaction, flushed on `setImmediate`.
 *
 * Invariants:
 * - A write's `done` runs only after the transaction holding it committed, so no effect (delivering a message,
 *   acknowledging a send, waking an instance, answering an HTTP call) is visible before its state is durable.
 * - Writes apply in the order they were queued, within a batch and across batches.
 * - If a batch fails, its writes are retried one per transaction, in order, so one bad write fails alone (its
 *   `done` gets the error; `onError` hears about it too).
 * - After `close` (which flushes first) every new write fails at once with "store is closed".
 */
export interface Transactional {
  /** Run `fn` in one transaction: all of its writes commit or none. */
  transaction(fn: () => void): void;
}

interface Pending {
  apply: () => void;
  done: ((error?: Error) => void) | undefined;
}

export class CommitQueue {
  private batch: Pending[] = [];
  private scheduled = false;
  private closed = false;
  /** Transactions committed and writes they held (statistics). */
  commits = 0;
  writes = 0;

  constructor(
    private readonly store: Transactional,
    private readonly options: { onError?: (error: Error) => void } = {},
  ) {}

  /** Queue a write; `done` runs after it committed, or with the error that kept it from committing. */
  enqueue(apply: () => void, done?: (error?: Error) => void): void {
    if (this.closed) {
      done?.(new Error('store is closed'));
      return;
    }
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

  /** Commit what is queued now (also runs by itself once per turn). */
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
          const error = e instanceof Error ? e : new Error(String(e));
          this.options.onError?.(error);
          p.done?.(error);
          continue;
        }
        p.done?.();
      }
      return;
    }
    for (const p of batch) p.done?.();
  }

  /** Flush, then refuse further writes. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
