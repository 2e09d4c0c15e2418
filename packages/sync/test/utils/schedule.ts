import { StopSource, type WaitOptions } from '@coro/task';
import fc from 'fast-check';
import { expect, vi } from 'vitest';

/** Runs queued microtasks (works under fake timers, unlike a macrotask flush). */
export async function microtasks(rounds = 100): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * A random but reproducible interleaving of async tasks under fake timers. Tasks call
 * `yield()` at their yield points; `run()` resumes one pending yield point at a time, chosen
 * by the generated decisions, sometimes advancing the clock by 1 ms instead (so timeouts fire
 * in the middle of things). When no yield point is pending it runs the next timer; when there
 * is no timer either while tasks are unfinished, every task is waiting on something nobody will
 * ever give: a lost wake-up, which fails the property.
 */
export class RandomSchedule {
  readonly #pending: Array<() => void> = [];
  readonly #decisions: readonly number[];
  #index = 0;

  constructor(decisions: readonly number[]) {
    // A failed run may leave its timers behind; each run starts on a clean clock.
    vi.clearAllTimers();
    this.#decisions = decisions.length === 0 ? [0] : decisions;
  }

  yield(): Promise<void> {
    return new Promise((resolve) => this.#pending.push(resolve));
  }

  async yieldTimes(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.yield();
  }

  async run(tasks: readonly Promise<unknown>[]): Promise<void> {
    let finished = false;
    let failure: { error: unknown } | undefined;
    Promise.all(tasks).then(
      () => {
        finished = true;
      },
      (error: unknown) => {
        finished = true;
        failure = { error };
      },
    );
    for (let step = 0; ; step++) {
      await microtasks();
      if (finished) break;
      if (step > 20_000) throw new Error('the schedule did not finish (livelock?)');
      const decision = this.#decisions[this.#index++ % this.#decisions.length] ?? 0;
      // Past a while, stop choosing to tick while yield points wait: a task looping on short
      // timeouts could otherwise keep the others from ever being resumed.
      const tick = decision % 7 === 0 && step <= 2_000;
      if (this.#pending.length === 0 || tick) {
        if (vi.getTimerCount() > 0) {
          if (this.#pending.length === 0) vi.advanceTimersToNextTimer();
          else vi.advanceTimersByTime(1);
          continue;
        }
        if (this.#pending.length === 0) {
          throw new Error('lost wake-up: tasks wait and nothing is left that could wake them');
        }
      }
      // Past a while, resume the oldest first: a task that polls (timeout 0 in a loop) could
      // otherwise be picked forever by an unlucky decision sequence.
      const index = step > 2_000 ? 0 : decision % this.#pending.length;
      const [resume] = this.#pending.splice(index, 1);
      resume?.();
    }
    if (failure !== undefined) throw failure.error;
  }

  /**
   * Resumes every yield point still pending after the tasks finished (work they left running,
   * such as an object still being made for a caller that gave up), until none is left.
   */
  async finishPending(): Promise<void> {
    for (let step = 0; ; step++) {
      await microtasks();
      const resume = this.#pending.shift();
      if (resume === undefined) return;
      if (step > 20_000) throw new Error('pending work did not finish (livelock?)');
      resume();
    }
  }
}

/** How one wait gives up, if it does: plain, a timeout, one of two stop sources, or both. */
export interface WaitPlan {
  readonly timeout: number | undefined;
  readonly source: 0 | 1 | undefined;
}

export const waitPlan: fc.Arbitrary<WaitPlan> = fc.record({
  timeout: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined, freq: 2 }),
  source: fc.option(fc.constantFrom(0 as const, 1 as const), { nil: undefined, freq: 2 }),
});

/** Two stop sources, stopped by a task of their own at random points of the schedule. */
export class Stoppers {
  readonly sources = [new StopSource(), new StopSource()] as const;

  /** The options for `plan`; a stopped source is left out so that loops make progress. */
  options(plan: WaitPlan): WaitOptions | undefined {
    const source = plan.source === undefined ? undefined : this.sources[plan.source];
    const signal = source?.stopRequested ? undefined : source?.token;
    if (plan.timeout === undefined && signal === undefined) return undefined;
    return { timeout: plan.timeout, signal };
  }

  /**
   * A task that stops source 0 after `after[0]` yields and source 1 after `after[1]` more; a
   * count above 30 leaves that source running (so leftover registrations would show).
   */
  async run(schedule: RandomSchedule, after: readonly [number, number]): Promise<void> {
    for (const k of [0, 1] as const) {
      if (after[k] > 30) continue;
      await schedule.yieldTimes(after[k]);
      this.sources[k].requestStop(`stop ${k}`);
    }
  }

  /** Every wait removed its stop registration (read through @coro/task's token internals). */
  expectNoRegistrations(): void {
    for (const source of this.sources) {
      expect(source.token.registrationCount).toBe(0);
    }
  }
}

export const stopAfter = fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 40 }));
export const decisions = fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 60 });
