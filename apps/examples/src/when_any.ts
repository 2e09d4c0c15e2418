// libcoro's when_any example: a long-running task races a timeout task on the I/O scheduler;
// whichever finishes first gives the result, and the loser is asked to stop.
import { IoScheduler } from '@coro/io';
import { syncWait, task, whenAny } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('when_any');

// A scheduler to run the tasks and to let a task sleep like a timer.
const scheduler = new IoScheduler();

// Behaves like a long-running task that produces a valid result.
const makeLongRunningTask = task.withContext(
  async (ctx, s: IoScheduler, executionTime: number): Promise<number> => {
    // Fake doing some work... The signal ends the wait early if whenAny stops this task. Its
    // clock starts before the hop, ahead of the timeout task's: the two durations decide which
    // task wins, not how long the hop (or a busy machine) took.
    const work = s.yieldFor(executionTime, { signal: ctx });
    // Hop onto the scheduler.
    await s.schedule();
    await work;
    return 1;
  },
);

const makeTimeoutTask = task.withContext(async (ctx, s: IoScheduler): Promise<number> => {
  // A timer that fires so we know the other task timed out.
  await s.scheduleAfter(100, { signal: ctx });
  return -1;
});

// The long-running task completes first.
{
  const tasks = [makeLongRunningTask(scheduler, 50), makeTimeoutTask(scheduler)];
  const result = await syncWait(whenAny(tasks));
  console.log(`result = ${result}`);
}

// The long-running task times out.
{
  const tasks = [makeLongRunningTask(scheduler, 500), makeTimeoutTask(scheduler)];
  const result = await syncWait(whenAny(tasks));
  console.log(`result = ${result}`);
}

await scheduler.shutdown();
