// Random mixes of quick, slow, async, failing and cancelled jobs on one pool: every task settles
// once with the right outcome, no job runs twice, and the pool's books balance afterwards.
import { CancelledError } from '@coro/task';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ThreadPool } from '../src/index.ts';
import { eventually, jobsModule, type Jobs } from './utils/pools.ts';

const pool = new ThreadPool<Jobs>({
  module: jobsModule,
  threadCount: 3,
  concurrentTasksPerWorker: 4,
});
afterAll(() => pool.shutdown());

const jobSpec = fc.record({
  mode: fc.integer({ min: 0, max: 2 }),
  ms: fc.integer({ min: 0, max: 3 }),
  // undefined: never cancelled; 0: cancelled at once; n: cancelled after n ms
  cancelAfter: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
});

describe('property: a pool under random load', () => {
  it('settles every job once, runs none twice and balances its counts', async () => {
    let started = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(jobSpec, { minLength: 1, maxLength: 40 }), async (specs) => {
        const counter = new Int32Array(new SharedArrayBuffer(4 * specs.length));
        const tasks = specs.map((spec, i) => pool.run('work', counter, i, spec.mode, spec.ms));
        const outcomes = tasks.map((t) =>
          t.start().then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
        );
        started += tasks.length;
        const timers = specs.map((spec, i) =>
          spec.cancelAfter === undefined
            ? undefined
            : spec.cancelAfter === 0
              ? void tasks[i]!.requestStop()
              : setTimeout(() => tasks[i]!.requestStop(), spec.cancelAfter),
        );
        const results = await Promise.all(outcomes);
        for (const timer of timers) if (timer !== undefined) clearTimeout(timer);
        await eventually(() => pool.size === 0);
        for (let i = 0; i < specs.length; i++) {
          const spec = specs[i]!;
          const result = results[i]!;
          const runs = Atomics.load(counter, i);
          expect(runs).toBeLessThanOrEqual(1);
          if (result.ok) {
            expect(result.value).toBe(i * 2);
            expect(runs).toBe(1);
            expect(spec.mode).not.toBe(2);
          } else if (result.error instanceof CancelledError) {
            expect(spec.cancelAfter).not.toBeUndefined();
          } else {
            expect(result.error).toBeInstanceOf(RangeError);
            expect(spec.mode).toBe(2);
            expect(runs).toBe(1);
          }
        }
        const stats = pool.stats();
        expect(stats.completed + stats.failed + stats.cancelled).toBe(started);
      }),
      { numRuns: 40 },
    );
  });
});
