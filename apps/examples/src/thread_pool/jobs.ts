// The worker module of the thread_pool example: each pool thread loads it, and the pool runs
// its exported functions there.
import { writeSync } from 'node:fs';
import { withJobContext } from '@coro/pool';

/**
 * Mimics an expensive computation that belongs on a background thread, and halfway through
 * yields so that the other jobs on the same thread get some CPU time: libcoro's
 * `co_await tp.yield()`. `withJobContext` asks the pool for the job's context, which comes
 * first; the caller passes only `childIndex`.
 */
export const offloadTask = withJobContext(async (ctx, childIndex: number): Promise<number> => {
  let calculation = 0;
  for (let i = 0; i < 1_000_000; i++) {
    calculation += Math.random() < 0.5 ? 0 : 1;
    // Never block a thread with a sleep inside a job: yield instead, and the thread runs its
    // other jobs meanwhile.
    if (i === 500_000) {
      // A worker's console.log reaches stdout through the main thread, later than the job's
      // result may; writing to fd 1 directly keeps the lines in the order things happened.
      writeSync(1, `Task ${childIndex} is yielding()\n`);
      await ctx.yield();
    }
  }
  return calculation;
});
