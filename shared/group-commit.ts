/**
 * The scheduling half of group commit, shared by the Table writer (shared/records/table-batcher.ts) and the
 * Service Bus publisher (shared/bus/publisher.ts): items pushed in one event-loop turn, or while commits are in
 * flight, are handed to `commit` together instead of one by one.
 *
 * Invariants:
 * - At most `maxInFlight` commits run at once; items pushed meanwhile wait and go out together when one settles.
 * - `take` chooses each group from the queue in order (it may leave items behind, which stay queued in order); an
 *   empty group means every queued item waits for a commit in flight, whose settlement flushes again.
 * - `commit` settles its own items (resolves or rejects each caller); a rejection of `commit` itself is ignored here.
 */
export class GroupCommitQueue<T> {
  private queue: T[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly commit: (group: T[]) => Promise<void>,
    private readonly take: (queue: T[]) => { group: T[]; rest: T[] } = (queue) => ({ group: queue, rest: [] }),
    private readonly maxInFlight = 4,
  ) {}

  push(item: T): void {
    this.queue.push(item);
    this.schedule();
  }

  /** Flushes on the next turn, so everything pushed in this turn groups. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const { group, rest } = this.take(this.queue);
      this.queue = rest;
      if (group.length === 0) return;
      this.inFlight++;
      const settled = (): void => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      };
      this.commit(group).then(settled, settled);
    }
  }
}
