// The scheduler's clock: real (performance.now(), read fresh at every call, so that a deadline
// is measured from the call even after long synchronous work) or virtual (manual mode: moves
// only when the manual driver moves it). Deadlines are computed here too, in the clock's
// resolution: whole milliseconds for real time (libuv's timer resolution, and it lets the waits
// of one millisecond share a bucket), exact values for virtual time.

/** What the scheduler reads time from. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** The deadline `ms` (≥ 0, possibly Infinity) after a fresh reading of the clock. */
  deadlineAfter(ms: number): number;
  /** The deadline for time point `t`. */
  deadlineAt(t: number): number;
}

/** Real time: `performance.now()`, never cached. */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  deadlineAfter(ms: number): number {
    return Math.ceil(performance.now() + ms);
  }

  deadlineAt(t: number): number {
    return Math.ceil(t);
  }
}

/** Virtual time for manual mode: starts at 0, moves only through `advanceTo` / `advanceBy`. */
export class VirtualClock implements Clock {
  #now = 0;

  now(): number {
    return this.#now;
  }

  deadlineAfter(ms: number): number {
    return this.#now + ms;
  }

  deadlineAt(t: number): number {
    return t;
  }

  /** Moves time forward to `t` (never back, never to Infinity). */
  advanceTo(t: number): void {
    if (t > this.#now && t !== Number.POSITIVE_INFINITY) this.#now = t;
  }

  /** Moves time forward by `ms` (finite). Returns the new time. */
  advanceBy(ms: number): number {
    this.#now += ms;
    return this.#now;
  }
}
