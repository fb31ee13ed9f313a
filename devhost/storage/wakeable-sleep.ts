/**
 * A poll loop's sleep that a notification can cut short (a blob or message this host just wrote). Invariant: a
 * `wake()` that arrives while nobody sleeps is remembered, so the next `sleep()` returns at once and no write is
 * missed between two polls.
 */
export class WakeableSleep {
  private wakeSleeper: (() => void) | undefined;
  private woken = false;

  /** Ends the current sleep, or the next one if none is running. */
  wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = () => {
        this.wakeSleeper = undefined;
        this.woken = false;
        done();
      };
    });
  }
}
