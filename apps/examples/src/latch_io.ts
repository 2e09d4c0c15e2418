// libcoro's latch example, on the I/O scheduler: worker tasks "work" by sleeping with
// yieldFor() (never block the thread with a busy wait), then count down on the latch; the
// latch task resumes once all of them have. (latch.ts shows the latch on the plain event loop.)
import { IoScheduler } from '@coro/io';
import { Latch } from '@coro/sync';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('latch_io');

const scheduler = new IoScheduler();

// Waits until every worker has counted down.
const makeLatchTask = task(async (latch: Latch) => {
  console.log('latch task is now waiting on all children tasks...');
  await latch.wait();
  console.log('latch task dependency tasks completed, resuming.');
});

// Does its "work", then counts down. The last one to count down resumes the latch task.
const makeWorkerTask = task(async (s: IoScheduler, latch: Latch, i: number) => {
  await s.schedule();
  console.log(`worker task ${i} is working...`);
  // Mimic expensive work by sleeping: other tasks keep running meanwhile. The sleeps end i × 20
  // ms after one shared start, so the order does not depend on how fast the tasks start.
  await s.yieldUntil(start + i * 20);
  console.log(`worker task ${i} is done, counting down on the latch`);
  latch.countDown();
});

const numTasks = 5;
const start = scheduler.now();
const latch = new Latch(numTasks);
// The latch task first, so that it is waiting before the workers count down.
const tasks = [makeLatchTask(latch)];
for (let i = 1; i <= numTasks; i++) tasks.push(makeWorkerTask(scheduler, latch, i));

await syncWait(whenAll(tasks));
await scheduler.shutdown();
