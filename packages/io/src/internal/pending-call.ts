// The timer entry behind `scheduler.callAfter(ms, fn)`: counts as a pending wait, calls `fn`
// once at its deadline, reports a throwing callback.
import { TimerEntry } from './timer-queue.ts';
import type { TimerService } from './timer-service.ts';

/** A callback pending on the timer heap. */
export class PendingCall extends TimerEntry {
  #timers: TimerService | undefined;
  #callback: (() => void) | undefined;
  readonly #report: (error: unknown) => void;

  constructor(timers: TimerService, callback: () => void, report: (error: unknown) => void) {
    super();
    this.#timers = timers;
    this.#callback = callback;
    this.#report = report;
  }

  /** Whether it is still pending (neither run nor cancelled). */
  get pending(): boolean {
    return this.#callback !== undefined;
  }

  /** Removes it; `true` if it was still pending. */
  cancel(): boolean {
    const timers = this.#timers;
    if (timers === undefined) return false;
    this.#timers = undefined;
    this.#callback = undefined;
    return timers.cancel(this);
  }

  override fire(): void {
    const callback = this.#callback;
    this.#timers = undefined;
    this.#callback = undefined;
    if (callback === undefined) return;
    try {
      callback();
    } catch (error) {
      this.#report(error);
    }
  }
}
