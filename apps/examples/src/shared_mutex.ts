// libcoro's shared_mutex example: three readers hold the lock together, a writer waits for
// them, and the three readers that come after the writer wait behind it (no writer starvation);
// when the writer is done, all three are let in at once. libcoro uses a one-thread pool, which
// runs one task until it suspends, to show the interleaving. Here the tasks share the event loop
// through an InlineExecutor, whose yield() gives each task a loop turn of its own, which is
// what a single pool thread does; IoScheduler.yield() resumes every yielder of a turn in one
// batch, which would interleave the first lines differently. libcoro prints to stderr; this
// prints to stdout.
import { SharedMutex } from '@coro/sync';
import { InlineExecutor, syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('shared_mutex');

const scheduler = new InlineExecutor();
const mutex = new SharedMutex();

const makeSharedTask = task(async (s: InlineExecutor, m: SharedMutex, i: number) => {
  await s.yield();
  {
    console.log(`shared task ${i} lock_shared()`);
    using _lock = await m.lockShared();
    console.log(`shared task ${i} lock_shared() acquired`);
    // Yield at once, so the other shared tasks acquire the lock too while this one holds it.
    await s.yield();
    console.log(`shared task ${i} unlock_shared()`);
  }
});

const makeExclusiveTask = task(async (s: InlineExecutor, m: SharedMutex) => {
  await s.yield();
  console.log('exclusive task lock()');
  using _lock = await m.lock();
  console.log('exclusive task lock() acquired');
  // Do the exclusive work...
  console.log('exclusive task unlock()');
});

// Three shared tasks, then an exclusive one, then three more shared tasks that are held back by
// the waiting exclusive one until it is done.
const numTasks = 3;
const tasks = [];
for (let i = 1; i <= numTasks; i++) tasks.push(makeSharedTask(scheduler, mutex, i));
tasks.push(makeExclusiveTask(scheduler, mutex));
for (let i = numTasks + 1; i <= numTasks * 2; i++) tasks.push(makeSharedTask(scheduler, mutex, i));

await syncWait(whenAll(tasks));
