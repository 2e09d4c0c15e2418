import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mutex, Semaphore, SharedMutex } from '../../src/threads/index.ts';
import { runWorker } from './helpers.ts';

const step = fc.record({
  kind: fc.constantFrom('mutex' as const, 'semaphore' as const, 'read' as const, 'write' as const),
  hold: fc.integer({ min: 0, max: 3 }),
  timeout: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  stopAfter: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
});

describe('threads: random schedules across workers', () => {
  it('keep mutual exclusion, reader/writer exclusion and the semaphore bound, and leave no waiter behind', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { minLength: 1, maxLength: 40 }), { minLength: 2, maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        async (schedules, max) => {
          const mutex = new Mutex();
          const semaphore = new Semaphore(max);
          const rw = new SharedMutex();
          const counters = new Int32Array(new SharedArrayBuffer(20));
          const outcomes = await Promise.all(
            schedules.map((steps) =>
              runWorker<string[]>('schedule', { mutex, semaphore, rw, counters, steps }),
            ),
          );
          // Every step ended with exactly one status.
          for (const [i, steps] of schedules.entries()) {
            expect(outcomes[i]).toHaveLength(steps.length);
            for (const outcome of outcomes[i] ?? []) seen.add(outcome);
          }
          expect(counters[2]).toBe(0); // no exclusion or bound violation was seen
          expect(counters[0]).toBe(0);
          expect(counters[1]).toBe(0);
          expect(mutex.isLocked).toBe(false);
          expect(mutex.waiterCount).toBe(0);
          expect(mutex._freeSlots).toBe(1024);
          expect(semaphore.value).toBe(max); // no permit lost or duplicated
          expect(semaphore.waiterCount).toBe(0);
          expect(semaphore._freeSlots).toBe(1024);
          expect(rw.isLocked).toBe(false);
          expect(rw.sharedCount).toBe(0);
          expect(rw.waiterCount).toBe(0);
          expect(rw._freeSlots).toBe(1024);
        },
      ),
      // A fixed number of runs (each starts a few workers, ~1 s alone), not as many as fit in
      // some seconds: a slow machine gets the same coverage, later. 120 s is for a loaded one.
      // A failure is reported at once with its schedule and seed: shrinking would re-run
      // worker schedules until the test timeout and hide what failed behind "timed out".
      { numRuns: 8, endOnFailure: true },
    );
    // The schedules really exercised giving up, not only the happy path.
    expect(seen.has('timeout') || seen.has('cancelled')).toBe(true);
  }, 120_000);
});
