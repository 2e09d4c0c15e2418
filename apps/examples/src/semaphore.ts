// libcoro's semaphore example: 100 tasks, at most 2 at a time past the semaphore. libcoro runs
// them on an 8-thread pool (and prints without a lock, so its output is ragged); here they share
// the event loop through an IoScheduler, and the semaphore hands its permits over first come,
// first served, so the output is always 1 to 100.
import { IoScheduler } from '@coro/io';
import { Semaphore } from '@coro/sync';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('semaphore');

const scheduler = new IoScheduler();
const semaphore = new Semaphore(2);
let output = '';

const makeRateLimitedTask = task(async (s: IoScheduler, sem: Semaphore, taskNum: number) => {
  await s.schedule();
  // Only 2 tasks get through at any time; the others wait here for a permit.
  const result = await sem.acquire();
  if (result === 'acquired') {
    output += `${taskNum}, `;
    // Hold the permit for a turn of the loop, so the other tasks pile up behind it.
    await s.yield();
    sem.release();
  } else {
    output += `${taskNum} failed to acquire semaphore [${result}],`;
  }
});

const numTasks = 100;
const tasks = [];
for (let i = 1; i <= numTasks; i++) tasks.push(makeRateLimitedTask(scheduler, semaphore, i));

await syncWait(whenAll(tasks));
await scheduler.shutdown();
console.log(output);
