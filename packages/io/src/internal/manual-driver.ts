// Manual mode: nothing runs until processEvents(), and time is virtual. Every way work can
// resume goes through the one run queue here — schedule(), yield(), spawned tasks, timers
// (fired from here), and outside events (stop requests, I/O, results from other threads),
// which `deliver` queues instead of running — so nothing resumes outside processEvents.
import type { VirtualClock } from './clock.ts';
import type { Driver } from './driver.ts';
import type { Notifier } from './notifier.ts';
import { RunQueue } from './run-queue.ts';
import type { TimerService } from './timer-service.ts';

function flush(): Promise<void> {
  // Every microtask runs before the next macrotask, so one trip through the check phase lets
  // every resumed task run until it waits again.
  return new Promise((resolve) => setImmediate(resolve));
}

/** Drives a scheduler on virtual time, from `processEvents` and `advanceTime`. */
export class ManualDriver implements Driver {
  readonly ready: RunQueue;
  readonly turn: RunQueue;
  readonly #clock: VirtualClock;
  readonly #timers: TimerService;
  readonly #notifier: Notifier;
  #processing = false;

  constructor(clock: VirtualClock, timers: TimerService, notifier: Notifier) {
    this.#clock = clock;
    this.#timers = timers;
    this.#notifier = notifier;
    this.ready = new RunQueue(() => notifier.notify());
    this.turn = this.ready;
  }

  /** Whether a `processEvents` (or shutdown's drive) is running. */
  get processing(): boolean {
    return this.#processing;
  }

  deliver(fn: () => void): void {
    this.ready.push(fn);
  }

  handOver<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      promise.then(
        (value) => this.deliver(() => resolve(value)),
        (error: unknown) => this.deliver(() => reject(error)),
      );
    });
  }

  /**
   * Runs rounds until idle, then moves virtual time to each deadline within `timeoutMs` of the
   * start and runs until idle again; finally lets the window pass (see `processEvents`).
   */
  async processEvents(timeoutMs: number): Promise<void> {
    this.#processing = true;
    try {
      await this.#process(timeoutMs, undefined);
    } finally {
      this.#processing = false;
      this.#notifier.notify();
    }
  }

  /** Moves virtual time by `ms` without running anything. */
  advanceTime(ms: number): number {
    const now = this.#clock.advanceBy(ms);
    this.#notifier.notify();
    return now;
  }

  /**
   * For shutdown: drives the scheduler (all timers, on virtual time) until `done()`, waiting
   * for outside events when there is nothing to run yet. Leaves a running `processEvents` be.
   */
  async drive(done: () => boolean): Promise<void> {
    while (!done()) {
      if (!this.#processing) {
        this.#processing = true;
        try {
          await this.#process(Number.POSITIVE_INFINITY, done);
        } finally {
          this.#processing = false;
        }
      }
      if (!done()) await this.#notifier.next();
    }
  }

  async #process(timeoutMs: number, done: (() => boolean) | undefined): Promise<void> {
    const clock = this.#clock;
    const limit = clock.now() + timeoutMs;
    for (;;) {
      await this.#runUntilIdle(done);
      if (done?.()) return;
      const next = this.#timers.earliest;
      if (next === undefined || next > limit || next === Number.POSITIVE_INFINITY) break;
      clock.advanceTo(next);
    }
    if (limit !== Number.POSITIVE_INFINITY) clock.advanceTo(limit);
  }

  async #runUntilIdle(done: (() => boolean) | undefined): Promise<void> {
    for (;;) {
      // Ready tasks first, then what is due; then let them all run until they wait again.
      let progressed = this.ready.drain();
      if (this.#timers.fireDue(this.#clock.now()) > 0) progressed = true;
      if (!progressed) return;
      await flush();
      if (done?.()) return;
    }
  }
}
