// libcoro's mutex example: 100 tasks append to one array inside a critical section. libcoro runs
// them on a 4-thread pool and its waiters are resumed in LIFO batches, so its output order varies
// from run to run; here the tasks run on the IoScheduler (the event loop) and coro's Mutex serves
// waiters first come, first served, so the order is always 1 to 100.
import { IoScheduler } from '@coro/io';
import { Mutex } from '@coro/sync';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('mutex');

const scheduler = new IoScheduler();
const output: number[] = [];
const mutex = new Mutex();

const makeCriticalSectionTask = task(async (s: IoScheduler, m: Mutex, i: number) => {
  await s.schedule();
  // lock() resolves with a ScopedLock that holds the mutex; `using` unlocks it when the block
  // ends, as C++'s scoped_lock does on destruction.
  {
    using _lock = await m.lock();
    // Give the other tasks a turn while holding the lock: they queue up on the mutex.
    await s.yield();
    output.push(i);
  } // <-- the scoped lock unlocks the mutex here.
});

const numTasks = 100;
const tasks = [];
for (let i = 1; i <= numTasks; i++) tasks.push(makeCriticalSectionTask(scheduler, mutex, i));

await syncWait(whenAll(tasks));
await scheduler.shutdown();

console.log(output.map((value) => `${value}, `).join(''));
