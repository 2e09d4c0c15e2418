// libcoro's latch example on the plain event loop: worker tasks "work" by sleeping (a timer, never
// a busy wait that would block the thread) and count down; the latch task resumes once all of
// them have. libcoro runs the workers on an io_scheduler; latch_io.ts does that with IoScheduler.
import { setTimeout as sleep } from 'node:timers/promises';
import { Latch } from '@coro/sync';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('latch');

// Waits until every worker has counted down. The last worker to count down resumes it.
const makeLatchTask = task(async (latch: Latch) => {
  console.log('latch task is now waiting on all children tasks...');
  await latch.wait();
  console.log('latch task dependency tasks completed, resuming.');
});

// Does its "work", then counts down on the latch.
const makeWorkerTask = task(async (latch: Latch, i: number) => {
  console.log(`worker task ${i} is working...`);
  // Mimic expensive work by sleeping: other tasks keep running meanwhile.
  await sleep(i * 20);
  console.log(`worker task ${i} is done, counting down on the latch`);
  latch.countDown();
});

const numTasks = 5;
const latch = new Latch(numTasks);
// The latch task first, so that it is waiting before the workers count down.
const tasks = [makeLatchTask(latch)];
for (let i = 1; i <= numTasks; i++) tasks.push(makeWorkerTask(latch, i));

await syncWait(whenAll(tasks));
