// "Something changed": new work was queued, a count dropped or time moved. The manual driver
// waits on it for work to drive, shutdown waits on it for the scheduler to become idle. When
// nobody waits, `notify()` costs one field check.

/** A wake-up for whoever waits for the next change. */
export class Notifier {
  #waiters: (() => void)[] = [];

  /** Wakes everyone waiting (in the order they began to wait). */
  notify(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next `notify()`. */
  next(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
    });
  }
}
