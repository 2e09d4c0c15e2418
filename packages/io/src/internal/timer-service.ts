// The scheduler's timers: the heap of deadline buckets, its count of pending waits, and the
// one libuv timer behind them. Nothing else arms, clears or counts a timer.
//
// The libuv timer is armed to the earliest finite deadline, clamped to the largest delay Node
// accepts (2^31-1 ms): a later deadline is reached in stretches, re-arming when a stretch ends
// with nothing due. A deadline of Infinity stays in the heap (it counts and can be cancelled)
// but never arms the timer. Due buckets are found with a fresh reading of the clock, so a timer
// that libuv fires a little early re-arms instead of resuming anyone before their time.
//
// Without a libuv timer (manual mode) the service only holds the heap: the manual driver fires
// what is due on virtual time.
import type { Clock } from './clock.ts';
import { MAX_TIMER_DELAY } from './durations.ts';
import { type TimerEntry, TimerQueue } from './timer-queue.ts';

/** Options of `new TimerService(...)`. */
export interface TimerServiceOptions {
  readonly clock: Clock;
  /** Whether deadlines are driven by a libuv timer (`false` in manual mode). */
  readonly realTime: boolean;
  /** Called after entries were added (manual mode: there may be new work to drive). */
  readonly onAdded?: (() => void) | undefined;
  /** Called after pending waits ended (fired or cancelled). */
  readonly onEnded?: (() => void) | undefined;
}

/** The heap, its count and the one libuv timer. */
export class TimerService {
  readonly #queue = new TimerQueue();
  readonly #clock: Clock;
  readonly #realTime: boolean;
  readonly #onAdded: (() => void) | undefined;
  readonly #onEnded: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The deadline the libuv timer is armed for (Infinity: not armed). */
  #armedFor = Number.POSITIVE_INFINITY;

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const fired = this.fireDue(this.#clock.now());
    const next = this.#queue.earliest;
    if (next !== undefined) this.#arm(next);
    if (fired > 0) this.#onEnded?.();
  };

  constructor(options: TimerServiceOptions) {
    this.#clock = options.clock;
    this.#realTime = options.realTime;
    this.#onAdded = options.onAdded;
    this.#onEnded = options.onEnded;
  }

  /** Pending timed waits (entries marked `counted`, and every caller of a shared promise). */
  get waiters(): number {
    return this.#queue.waiters;
  }

  /** The earliest pending deadline (possibly Infinity), or `undefined`. */
  get earliest(): number | undefined {
    return this.#queue.earliest;
  }

  /** Whether the libuv timer is armed. */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** A promise resolved at `deadline`, shared with the other plain waiters of that deadline. */
  sleep(deadline: number): Promise<void> {
    const promise = this.#queue.addShared(deadline);
    this.#added(deadline);
    return promise;
  }

  /** Adds a cancellable entry fired at `deadline`. */
  add(deadline: number, entry: TimerEntry): void {
    this.#queue.add(deadline, entry);
    this.#added(deadline);
  }

  /** Removes a pending entry at once; `false` if it already fired or was cancelled. */
  cancel(entry: TimerEntry): boolean {
    if (!this.#queue.cancel(entry)) return false;
    // Nothing left that could fire: drop the libuv timer so nothing keeps the process alive.
    if (this.#timer !== undefined) {
      const next = this.#queue.earliest;
      if (next === undefined || next === Number.POSITIVE_INFINITY) this.#disarm();
    }
    if (entry.counted) this.#onEnded?.();
    return true;
  }

  /** Fires every bucket due at `now`, in deadline order; returns how many fired. */
  fireDue(now: number): number {
    const queue = this.#queue;
    let fired = 0;
    for (;;) {
      const bucket = queue.popDue(now);
      if (bucket === undefined) return fired;
      queue.fire(bucket);
      fired++;
    }
  }

  #added(deadline: number): void {
    if (this.#realTime) this.#arm(deadline);
    else this.#onAdded?.();
  }

  #arm(deadline: number): void {
    if (deadline >= this.#armedFor || deadline === Number.POSITIVE_INFINITY) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    const delay = Math.min(Math.max(Math.ceil(deadline - this.#clock.now()), 1), MAX_TIMER_DELAY);
    this.#timer = setTimeout(this.#onTimer, delay);
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }
}
